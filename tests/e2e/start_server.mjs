// Starts the sluice binary on a free port for the Node-side end-to-end tests.
import { spawn } from 'node:child_process';

export async function startServer(binary, args = [], dataDir = '/tmp/sluice-node-e2e', env = {}) {
  const child = spawn(binary, ['serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, ...args],
                      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const port = await new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`sluice did not start: ${seen}`)), 20000);
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      const match = seen.match(/listening on http:\/\/[^:]+:(\d+)/);
      if (match) { clearTimeout(timer); resolve(Number(match[1])); }
    });
    child.on('exit', (code) => reject(new Error(`sluice exited with ${code}: ${seen}`)));
  });
  return { port, url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}
