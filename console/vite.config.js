// Builds the console served by `sluice serve` at /console (see docs/console.md).
// Invoked by CMake (target sluice_console) with --outDir inside the build directory.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  // Preact's JSX through esbuild's automatic runtime: no Babel, no plugin.
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  resolve: { alias: { react: 'preact/compat', 'react-dom': 'preact/compat' } },
  build: {
    // Hashed file names under assets/: the server caches them for a year; index.html revalidates.
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2022',
    reportCompressedSize: false,
    chunkSizeWarningLimit: 200,
  },
  logLevel: 'warn',
});
