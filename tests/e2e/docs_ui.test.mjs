// Swagger UI at /docs, driven in headless Chromium (Debian's, through playwright-core):
// the page lists the endpoints, and "Try it out" on GET /health shows {"status":"ok"}.
// Usage: node tests/e2e/docs_ui.test.mjs path/to/sluice
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startServer } from './start_server.mjs';

const server = await startServer(process.argv[2]);
let browser;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // The machine has no outside network: keep Chromium from trying to reach Google services.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  const failed = [];
  page.on('requestfailed', (request) => failed.push(request.url()));
  await page.goto(`${server.url}/docs`);
  await page.waitForSelector('.opblock-summary-path', { timeout: 20000 });
  const paths = await page.locator('.opblock-summary-path').allInnerTexts();
  for (const path of ['/health', '/generate', '/datasets/{dataset_id}/process', '/ai/generate', '/ai'])
    assert.ok(paths.some((p) => p.replace(/\u200b/g, '') === path), `${path} listed (saw ${paths.join(', ')})`);

  const health = page.locator('#operations-operations-health_get');
  await health.locator('.opblock-summary').click();
  await health.getByRole('button', { name: 'Try it out' }).click();
  await health.getByRole('button', { name: 'Execute' }).click();
  const body = health.locator('.live-responses-table .response-col_description pre').first();
  await body.waitFor({ timeout: 20000 });
  const text = await body.innerText();
  assert.deepEqual(JSON.parse(text), { status: 'ok' });
  assert.deepEqual(failed, [], 'every asset loaded');
  console.log('Swagger UI lists the endpoints; Try it out on /health returned {"status":"ok"}');
} finally {
  await browser?.close();
  server.stop();
}
