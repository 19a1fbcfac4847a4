// Workers over HTTP with the Node reference worker (clients/node/sluice_worker.mjs) against a real
// `sluice serve`: results recorded, progress visible while a job runs, cancellation relayed,
// Permanent fails at once, an ordinary error is retried, leases renewed while a handler runs, and
// kill -9 of a worker process mid-job hands the job to another worker after the lease, with the
// result recorded once.
// Usage: node tests/e2e/node_worker.test.mjs path/to/sluice
//    or: SLUICE_BINARY=path/to/sluice node --test tests/e2e/node_worker.test.mjs
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { enqueue, Permanent, Worker } from '../../clients/node/sluice_worker.mjs';
import { startServer } from './start_server.mjs';

const binary = process.argv[2] ?? process.env.SLUICE_BINARY;
if (!binary) throw new Error('usage: node tests/e2e/node_worker.test.mjs path/to/sluice (or SLUICE_BINARY=...)');
const here = dirname(fileURLToPath(import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let server;
let dataDir;
const children = [];

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sluice-node-worker-'));
  // A short first retry delay, so that the retry test does not wait the default second.
  server = await startServer(binary, ['--log-level', 'warn', '--job-backoff-ms', '100'], dataDir);
});

after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  server?.stop();
  await sleep(200);
  rmSync(dataDir, { recursive: true, force: true });
});

async function job(id) {
  const response = await fetch(`${server.url}/jobs/${id}`);
  assert.equal(response.status, 200);
  return response.json();
}

async function waitFor(what, condition, ms = 30000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

const inState = (id, state) => async () => {
  const current = await job(id);
  return current.state === state ? current : null;
};

/** Runs `worker` for the test's body, then stops it and waits for run() to return. */
async function running(worker, body) {
  const done = worker.run();
  try {
    return await body();
  } finally {
    worker.stop();
    await done;
  }
}

function newWorker(options = {}) {
  return new Worker({ url: server.url, leaseMs: 3000, waitMs: 200, ...options });
}

test('jobs enqueued over HTTP run with their results, several at once', async () => {
  const worker = newWorker({ concurrency: 4 });
  let now = 0;
  let most = 0;
  worker.task('node_square', async (payload, job) => {
    most = Math.max(most, ++now);
    await sleep(50);
    --now;
    return { square: payload.n * payload.n, attempt: job.attempt };
  });
  const ids = [];
  for (let n = 0; n < 24; ++n) ids.push((await enqueue(server.url, 'node_square', { n })).id);
  const first = await enqueue(server.url, 'node_square', { n: 7 }, { uniqueKey: 'seven' });
  const again = await enqueue(server.url, 'node_square', { n: 8 }, { uniqueKey: 'seven' });
  assert.equal(again.id, first.id, 'a repeated uniqueKey returns the first job');
  await running(worker, async () => {
    for (const [n, id] of ids.entries()) {
      const done = await waitFor(`job ${n}`, inState(id, 'succeeded'));
      assert.deepEqual(done.result, { square: n * n, attempt: 1 });
      assert.equal(done.attempts, 1);
    }
    assert.equal((await waitFor('the unique job', inState(first.id, 'succeeded'))).result.square, 49);
  });
  assert.equal(most, 4, 'claims fill the worker\'s concurrency');
});

test('progress from a heartbeat is visible while the job runs; cancellation is relayed', async () => {
  const worker = newWorker();
  let proceed;
  const seen = new Promise((resolve) => { proceed = resolve; });
  worker.task('node_progress', async (payload, job) => {
    assert.equal(await job.heartbeat(0.5, 'halfway'), false);
    await seen;
    return 'done';
  });
  worker.task('node_cancellable', async (payload, job) => {
    while (!(await job.heartbeat(0.1, 'waiting'))) await sleep(50);
    assert.ok(job.signal.aborted, 'the signal aborts on cancellation');
    throw new Error('stopped on request');
  });
  await running(worker, async () => {
    const { id } = await enqueue(server.url, 'node_progress');
    const halfway = await waitFor('progress', async () => {
      const current = await job(id);
      return current.progress === 0.5 ? current : null;
    });
    assert.equal(halfway.state, 'running');
    assert.equal(halfway.progress_message, 'halfway');
    proceed();
    const done = await waitFor('the job', inState(id, 'succeeded'));
    assert.equal(done.result, 'done');
    assert.equal(done.progress, 1);

    const cancellable = await enqueue(server.url, 'node_cancellable');
    await waitFor('the job to run', async () => (await job(cancellable.id)).progress_message === 'waiting');
    assert.equal((await fetch(`${server.url}/jobs/${cancellable.id}`, { method: 'DELETE' })).status, 202);
    const cancelled = await waitFor('cancellation', inState(cancellable.id, 'cancelled'));
    assert.equal(cancelled.attempts, 1);
  });
});

test('Permanent fails a job at once; an ordinary error is retried while attempts remain', async () => {
  const worker = newWorker({ concurrency: 2 });
  worker.task('node_doomed', async () => { throw new Permanent('never works'); });
  worker.task('node_flaky', async (payload, job) => { throw new RangeError(`attempt ${job.attempt} failed`); });
  await running(worker, async () => {
    const doomed = await enqueue(server.url, 'node_doomed', {}, { maxAttempts: 3 });
    const flaky = await enqueue(server.url, 'node_flaky', {}, { maxAttempts: 3 });
    const failed = await waitFor('doomed', inState(doomed.id, 'failed'));
    assert.equal(failed.attempts, 1);
    assert.equal(failed.last_error, 'never works');
    const retried = await waitFor('flaky', inState(flaky.id, 'failed'));
    assert.equal(retried.attempts, 3);
    assert.equal(retried.last_error, 'RangeError: attempt 3 failed');
  });
});

test('a worker takes only the queues it names, and its name is on the job', async () => {
  const worker = newWorker({ queues: ['images'], name: 'image-worker' });
  worker.task('node_queued', async () => 'done');
  await running(worker, async () => {
    const image = await enqueue(server.url, 'node_queued', {}, { queue: 'images' });
    const plain = await enqueue(server.url, 'node_queued');
    const done = await waitFor('the images job', inState(image.id, 'succeeded'));
    assert.equal(done.worker, 'image-worker');
    await sleep(500);
    assert.equal((await job(plain.id)).state, 'queued', 'the default queue is not this worker\'s');
  });
});

test('an error past the server\'s limit is cut to 10,000 UTF-8 bytes, and the worker goes on', async () => {
  const worker = newWorker();
  worker.task('node_verbose', async () => { throw new Error('\u00e9'.repeat(20000)); });  // 40,000 bytes
  worker.task('node_after', async () => 'after');
  await running(worker, async () => {
    const verbose = await enqueue(server.url, 'node_verbose', {}, { maxAttempts: 1 });
    const failed = await waitFor('the verbose job', inState(verbose.id, 'failed'));
    const bytes = Buffer.byteLength(failed.last_error);
    assert.ok(failed.last_error.startsWith('Error: \u00e9') && bytes >= 9990 && bytes <= 10000, `${bytes} bytes`);
    const next = await enqueue(server.url, 'node_after');
    await waitFor('a job after it', inState(next.id, 'succeeded'));
  });
});

test('a refused claim (422) ends run() with the server\'s answer instead of retrying', async () => {
  const worker = newWorker();
  worker.task('build_embeddings', async () => null);  // the server's own type
  await assert.rejects(worker.run(), (error) => error.status === 422);
});

test('a handler longer than its lease keeps the job: the worker renews the lease', async () => {
  const holder = newWorker({ leaseMs: 1000, name: 'holder' });
  holder.task('node_long', async () => { await sleep(2500); return 'held'; });
  await running(holder, async () => {
    const { id } = await enqueue(server.url, 'node_long');
    await waitFor('the job to run', inState(id, 'running'));
    // A rival claiming all along: it would re-queue the job the moment the lease ran out.
    const rival = newWorker({ leaseMs: 1000, name: 'rival' });
    rival.task('node_long', async () => 'taken');
    await running(rival, async () => {
      const done = await waitFor('the long job', inState(id, 'succeeded'));
      assert.equal(done.result, 'held');
      assert.equal(done.attempts, 1);
    });
  });
});

function startChild(name, leaseMs) {
  const child = spawn(process.execPath, [join(here, 'node_worker_child.mjs'), server.url, name, String(leaseMs)],
                      { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      if (seen.includes('worker ready')) resolve(child);
    });
    child.on('exit', (code, signal) => reject(new Error(`worker ${name} exited (${code ?? signal}): ${seen}`)));
  });
}

test('kill -9 mid-job: another worker takes the job after the lease, and one result is recorded', async () => {
  const marker = join(dataDir, 'node-slow-runs.txt');
  const { id } = await enqueue(server.url, 'node_slow', { steps: 15, marker });
  const first = await startChild('first', 1500);
  await waitFor('the slow job to make progress', async () => (await job(id)).progress > 0.2);
  first.kill('SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));
  await startChild('second', 1500);
  const done = await waitFor('the slow job', inState(id, 'succeeded'), 60000);
  assert.deepEqual(done.result, { done_by: 'second' });
  assert.equal(done.attempts, 2);
  const runs = readFileSync(marker, 'utf8').trim().split('\n').map((line) => line.split(' '));
  assert.deepEqual(runs.map(([name]) => name), ['first', 'second'], 'each attempt ran once');

  // The killed worker's token is stale: a late report from it changes nothing.
  const [, firstToken] = runs[0];
  const late = await fetch(`${server.url}/jobs/${id}/complete`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ lease_token: firstToken, result: { done_by: 'first' } }),
  });
  assert.equal(late.status, 409);
  assert.equal((await late.json()).code, 'lease_lost');
  assert.deepEqual((await job(id)).result, { done_by: 'second' });
});
