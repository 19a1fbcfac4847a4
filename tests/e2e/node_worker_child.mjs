// A Node reference worker in its own process, for node_worker.test.mjs to kill -9 mid-job.
// Usage: node tests/e2e/node_worker_child.mjs URL NAME LEASE_MS
import { appendFileSync } from 'node:fs';
import { Worker } from '../../clients/node/sluice_worker.mjs';

const [url, name, leaseMs] = process.argv.slice(2);
const worker = new Worker({ url, name, leaseMs: Number(leaseMs), waitMs: 200, concurrency: 2 });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

worker.task('node_slow', async (payload, job) => {
  // Who ran which attempt, with its lease token: the test replays the first one's token.
  appendFileSync(payload.marker, `${name} ${job.leaseToken}\n`);
  for (let i = 0; i < payload.steps; ++i) {
    await sleep(100);
    await job.heartbeat((i + 1) / payload.steps);
  }
  return { done_by: name };
});

console.log('worker ready');
await worker.run();
