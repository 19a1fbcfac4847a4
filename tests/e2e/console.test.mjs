// The web console at /console, driven in headless Chromium (Debian's, through playwright-core)
// against real `sluice serve` processes: without API keys, with them, and with no job workers
// (so that a job stays queued until the console cancels it). Screenshots of every page go to
// the directory given as the second argument (the build directory's console-screenshots/).
//
// The dataset and batch steps need the routes of the RAG and batch issues; the test asks the
// server's OpenAPI document which routes exist and says which steps it skipped and why.
// Usage: node tests/e2e/console.test.mjs path/to/sluice path/to/screenshots
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

import { startServer as startSluice } from './start_server.mjs';

const [binary, shotsDir = join(tmpdir(), 'sluice-console-screenshots')] = process.argv.slice(2);
mkdirSync(shotsDir, { recursive: true });
const API_KEY = 'console-test-key-1';
const skipped = new Set();
const servers = [];

/** `sluice serve` on a free port with its own data directory; resolves once it listens. */
async function startServer({ args = [], env = {} } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-console-'));
  const started = await startSluice(binary, ['--log-level', 'warn', ...args], dataDir, env);
  const server = {
    url: started.url,
    stop: () => { started.stop(); rmSync(dataDir, { recursive: true, force: true }); },
  };
  servers.push(server);
  const openapi = await (await fetch(`${server.url}/openapi.json`)).json();
  const has = (path, method) => Boolean(openapi.paths?.[path]?.[method]);
  server.hasDatasets = has('/datasets', 'post') && has('/datasets/{dataset_id}/documents', 'post') &&
                       has('/datasets/{dataset_id}/search', 'post');
  server.hasAnswer = has('/datasets/{dataset_id}/answer', 'post');
  server.hasBatches = has('/v1/files', 'post') && has('/v1/batches', 'post');
  return server;
}

function skip(what, why) {
  if (!skipped.has(what)) console.log(`SKIPPED: ${what} (${why})`);
  skipped.add(what);
}

const nav = (page, name) => page.getByRole('navigation').getByRole('link', { name, exact: true });

async function shot(page, name) {
  await page.screenshot({ path: join(shotsDir, `${name}.png`), fullPage: true });
}

/** A page that records failed requests and script errors (401s while no key is set are expected). */
async function openConsole(context, server) {
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    // A stream the page closes itself on navigation is aborted, not failed.
    if (!/ERR_ABORTED/.test(request.failure()?.errorText ?? '')) page.problems.push(`request failed: ${request.url()}`);
  });
  await page.goto(`${server.url}/console`);
  return page;
}

async function assertStaticAssets(server) {
  const index = await fetch(`${server.url}/console`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type'), /^text\/html/);
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  assert.match(index.headers.get('content-security-policy'), /default-src 'self'/);
  const html = await index.text();
  const assets = [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]);
  assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), `assets linked: ${assets}`);
  assert.doesNotMatch(html, /(?:src|href)="(?:https?:)?\/\//, 'the page loads nothing from another host (no CDN)');
  for (const asset of assets) {
    const response = await fetch(`${server.url}${asset}`);
    assert.equal(response.status, 200, asset);
    assert.match(response.headers.get('content-type'), asset.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
    assert.match(response.headers.get('cache-control'), /immutable/);
    const again = await fetch(`${server.url}${asset}`, { headers: { 'If-None-Match': response.headers.get('etag') } });
    assert.equal(again.status, 304, `${asset} revalidates`);
  }
  assert.equal((await fetch(`${server.url}/console/assets/nope.js`)).status, 404);
}

async function overview(page, name) {
  await page.goto(page.url().replace(/#.*$/, '') + '#/overview');
  await page.getByTestId('health-status').filter({ hasText: 'ok' }).waitFor();
  await page.getByTestId('ready-status').filter({ hasText: 'ready' }).waitFor();
  // Charts appear after the second scrape of /metrics.
  await page.locator('.chart canvas').first().waitFor({ timeout: 15000 });
  assert.ok(await page.locator('.chart').count() >= 5, 'the Overview draws its charts');
  await shot(page, name);
}

const DOCUMENTS = {
  'lighthouses.ndjson': JSON.stringify({ id: 'lighthouse', title: 'Lighthouse keepers',
    text: 'Lighthouse keepers trimmed the lamp wicks every night and wound the clockwork that turned the lens. ' +
          'A lighthouse keeper logged the weather, the passing ships and the fog signals.' }) + '\n',
  'bread.json': JSON.stringify({ documents: [{ id: 'bread', title: 'Sourdough bread',
    text: 'Sourdough bread rises with a starter of wild yeast and lactic bacteria. Bakers feed the starter flour and water.' }] }),
  'volcanoes.md': '# Volcanoes\n\nA volcano erupts when magma rises through the crust. Basalt lava flows far; ' +
                  'andesite builds steep cones.\n',
};

/** Create a dataset, upload three files, process to 100%, browse; returns the dataset's id. */
async function datasetFlow(page, { name, process = true, shots = true }) {
  await nav(page, 'Datasets').click();
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Name', { exact: true }).press('Enter');  // keyboard: the form submits
  await page.waitForURL(/#\/datasets\/\d+$/);
  const id = page.url().match(/#\/datasets\/(\d+)$/)[1];
  await page.getByTestId('file-input').setInputFiles(
    Object.entries(DOCUMENTS).map(([file, text]) => ({ name: file, mimeType: 'application/octet-stream', buffer: Buffer.from(text) })));
  const rows = page.getByTestId('uploads').locator('li');
  await page.waitForFunction(() => {
    const items = [...document.querySelectorAll('[data-testid=uploads] li')];
    return items.length === 3 && items.every((li) => /done|error/.test(li.className));
  });
  const statuses = await rows.allInnerTexts();
  assert.equal(statuses.length, 3);
  for (const status of statuses) assert.match(status, /100%[\s\S]*1 added/, `upload finished: ${status}`);
  await page.getByTestId('documents-count').filter({ hasText: '3' }).waitFor();
  if (!process) return id;

  await page.getByRole('button', { name: 'Start processing' }).click();
  await page.getByTestId('process-state').filter({ hasText: 'succeeded' }).waitFor({ timeout: 60000 });
  assert.equal(await page.getByTestId('process-progress').locator('progress').getAttribute('value'), '100');
  await page.getByTestId('indexed-count').filter({ hasNotText: /^(0|–)$/ }).waitFor();
  const documentIds = await page.getByTestId('documents').locator('tbody tr td:first-child').allInnerTexts();
  assert.ok(documentIds.includes('lighthouse') && documentIds.includes('bread'), `documents listed: ${documentIds}`);
  assert.equal(documentIds.length, 3);
  if (shots) await shot(page, 'datasets');
  await page.getByRole('link', { name: 'bread', exact: true }).click();
  await page.getByTestId('document-text').filter({ hasText: 'wild yeast' }).waitFor();
  if (shots) await shot(page, 'document');
  return id;
}

async function searchFlow(page, datasetId, { shots = true } = {}) {
  await page.goto(`${page.url().replace(/#.*$/, '')}#/search?dataset=${datasetId}`);
  for (const mode of ['keyword', 'hybrid', 'vector']) {
    await page.getByLabel(mode).check();
    await page.getByLabel('Query', { exact: true }).fill('who trims the lamp of a lighthouse');
    await page.getByRole('button', { name: 'Search' }).click();
    const first = page.locator(`[data-testid=results][data-mode=${mode}] > li`).first();
    await first.waitFor();
    assert.equal(await first.getByTestId('result-document').innerText(), 'Lighthouse keepers', `${mode}: expected document first`);
    if (mode === 'keyword') {
      assert.ok(await first.locator('mark').count() > 0, 'matched terms highlighted');
      if (shots) await shot(page, 'search');
    }
  }
  await page.getByTestId('results').locator('li').first().getByTestId('result-document').click();
  await page.getByTestId('document-text').locator('mark').first().waitFor();
}

async function chatFlow(page, server, { shots = true } = {}) {
  await nav(page, 'Chat').click();
  const options = page.getByLabel('Model', { exact: true }).locator('option');
  await options.first().waitFor({ state: 'attached' });  // /v1/models answers after the page renders
  const models = await options.allInnerTexts();
  assert.ok(models.length > 0, 'models listed from /v1/models');
  const streamed = page.waitForResponse((r) => r.url().endsWith('/v1/chat/completions'));
  const box = page.getByLabel(/^Message/);
  await box.fill('Why do rivers flood in spring?');
  await box.press('Enter');
  const response = await streamed;
  assert.match(response.headers()['content-type'], /^text\/event-stream/);
  const reply = page.getByTestId('messages').locator('.message.assistant .content');
  await page.getByRole('button', { name: 'Send' }).waitFor();  // the stream has ended
  const text = await reply.innerText();
  // The streamed pieces, joined, are exactly the non-streamed answer to the same request.
  const headers = { 'Content-Type': 'application/json', ...(server.key ? { Authorization: `Bearer ${server.key}` } : {}) };
  const whole = await (await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST', headers,
    body: JSON.stringify({ model: models[0].replace(/ \(.*\)$/, ''), messages: [{ role: 'user', content: 'Why do rivers flood in spring?' }] }),
  })).json();
  assert.ok(text.length > 0, 'streamed text arrived');
  assert.equal(text, whole.choices[0].message.content);
  if (shots) await shot(page, 'chat');
}

async function answerFlow(page, datasetId, { shots = true } = {}) {
  await nav(page, 'Chat').click();
  await page.getByLabel('a dataset').check();
  await page.getByLabel('Dataset', { exact: true }).selectOption(String(datasetId));
  await page.getByLabel('Question').fill('What does a lighthouse keeper do at night?');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByTestId('citations').locator('li').first().waitFor();
  await page.getByRole('button', { name: 'Send' }).waitFor();
  assert.ok((await page.getByTestId('answer').innerText()).trim().length > 0, 'an answer arrived');
  assert.match(await page.getByTestId('citations').innerText(), /Lighthouse|lighthouse/);
  if (shots) await shot(page, 'chat-answer');
}

async function batchFlow(page) {
  await nav(page, 'Batches').click();
  const lines = ['a', 'b', 'c'].map((id) => JSON.stringify({ custom_id: id, method: 'POST', url: '/v1/embeddings',
    body: { model: 'sluice-embed', input: `text ${id}` } })).join('\n') + '\n';
  await page.getByTestId('batch-file').setInputFiles({ name: 'batch.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(lines) });
  await page.getByLabel('Endpoint').selectOption('/v1/embeddings');
  await page.getByRole('button', { name: 'Create batch' }).click();
  const row = page.getByTestId('batches').locator('tbody tr').first();
  await row.locator('.state.completed').waitFor({ timeout: 60000 });
  assert.match(await row.getByTestId('batch-counts').innerText(), /3 ok · 0 failed · 3 total/);
  const download = page.waitForEvent('download');
  await row.getByRole('button', { name: 'Output' }).click();
  const output = readFileSync(await (await download).path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(output.map((o) => o.custom_id).sort(), ['a', 'b', 'c']);
  await shot(page, 'batches');
}

/** Whatever the server offers, the whole console once. */
async function fullFlow(page, server, prefix) {
  await overview(page, `${prefix}overview`);
  let datasetId = null;
  if (server.hasDatasets) {
    datasetId = await datasetFlow(page, { name: `${prefix}papers`, shots: prefix === '' });
    await searchFlow(page, datasetId, { shots: prefix === '' });
  } else {
    skip('datasets, upload, processing, search', 'the server has no /datasets routes yet (issue 12)');
  }
  await chatFlow(page, server, { shots: prefix === '' });
  if (server.hasAnswer && datasetId) await answerFlow(page, datasetId, { shots: prefix === '' });
  else skip('answer from a dataset', 'no /datasets/{dataset_id}/answer route yet (issue 12)');
  if (server.hasBatches) await batchFlow(page);
  else skip('batches', 'the server has no /v1/files and /v1/batches routes yet (issue 14)');
  await nav(page, 'Jobs').click();
  await page.getByTestId('jobs').or(page.getByText('No jobs match.')).first().waitFor();
  if (datasetId) assert.match(await page.getByTestId('jobs').innerText(), /build_embeddings[\s\S]*succeeded/);
  if (prefix === '') await shot(page, 'jobs');
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // The machine has no outside network: keep Chromium from trying to reach Google services.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
try {
  // 1. No API keys: the whole console, and a narrow window.
  {
    const server = await startServer();
    await assertStaticAssets(server);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await openConsole(context, server);
    await fullFlow(page, server, '');
    await page.setViewportSize({ width: 390, height: 800 });
    for (const route of ['overview', 'datasets', 'search', 'chat', 'jobs', 'batches']) {
      await nav(page, route[0].toUpperCase() + route.slice(1)).click();
      await page.locator('main h1').waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `#/${route} fits a 390 px window (overflows by ${overflow} px)`);
    }
    await shot(page, 'narrow-chat');
    assert.deepEqual(page.problems, [], 'no failed requests or script errors');
    await context.close();
    server.stop();
    console.log('without API keys: overview, datasets, search, chat, jobs and batches work; narrow window fits');
  }

  // 2. API keys on: errors in words until a key is given; the key stays out of URLs.
  {
    const server = await startServer({ env: { SLUICE_API_KEYS: API_KEY } });
    await assertStaticAssets(server);  // the page and its assets need no key
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await openConsole(context, server);
    const urls = [];
    page.on('request', (request) => urls.push(request.url()));
    await nav(page, 'Jobs').click();
    const error = page.getByRole('alert');
    await error.waitFor();
    assert.match(await error.innerText(), /needs an API key/);
    await shot(page, 'jobs-without-key');
    await page.getByLabel('API key').fill('wrong-key');
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.getByRole('alert').filter({ hasText: /needs an API key/ }).waitFor();
    await page.getByLabel('API key').fill(API_KEY);
    await page.getByRole('button', { name: 'Update' }).click();
    await page.getByTestId('jobs').or(page.getByText('No jobs match.')).first().waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('sluice.apiKey')), API_KEY);
    server.key = API_KEY;
    await fullFlow(page, server, 'key-');
    assert.ok(urls.every((u) => !u.includes(API_KEY)), 'the key never appears in a URL');
    await context.close();
    server.stop();
    console.log('with API keys: a missing or wrong key is explained; with the key the console works');
  }

  // 3. No job workers: a job stays queued until the console cancels it.
  {
    const server = await startServer({ args: ['--job-workers', '0'] });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await openConsole(context, server);
    let jobId;
    if (server.hasDatasets) {
      await datasetFlow(page, { name: 'queued', process: false });
      await page.getByRole('button', { name: 'Start processing' }).click();
      await page.getByTestId('process-state').filter({ hasText: 'queued' }).waitFor();
      jobId = (await page.getByTestId('process-progress').locator('a').getAttribute('href')).replace('#/jobs/', '');
    } else {
      // Without dataset routes the console cannot start a job itself: the article's process route does.
      skip('starting the job from the console', 'no /datasets routes yet: the job is started through the API');
      const started = await (await fetch(`${server.url}/datasets/1/process`, { method: 'POST' })).json();
      jobId = started.job_id;
    }
    await nav(page, 'Jobs').click();
    const row = page.locator(`tr[data-job="${jobId}"]`);
    await row.locator('.state.queued').waitFor();
    await row.getByRole('button', { name: `Cancel job ${jobId}` }).click();
    await row.locator('.state.cancelled').waitFor();
    await row.getByRole('link').click();  // the job's own view, fed by its event stream
    await page.getByTestId('job-state').filter({ hasText: 'cancelled' }).waitFor();
    await shot(page, 'jobs-cancelled');
    await page.getByLabel('State', { exact: true }).selectOption('cancelled');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=jobs] .state')].every((s) => s.textContent === 'cancelled'));
    assert.deepEqual(page.problems, [], 'no failed requests or script errors');
    await context.close();
    server.stop();
    console.log('a queued job is cancelled from the Jobs page; its view follows the event stream');
  }
  console.log(`screenshots in ${shotsDir}`);
  if (skipped.size) console.log(`skipped: ${[...skipped].join('; ')}`);
} finally {
  await browser.close();
  for (const server of servers) server.stop();
}
