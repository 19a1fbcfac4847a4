// A Sluice job worker in Node's standard library only (Node 18+: global fetch): claim jobs over
// HTTP, run them, report.
//
//   import { Worker, Permanent } from './sluice_worker.mjs';
//
//   const worker = new Worker({ url: 'http://127.0.0.1:8000', concurrency: 4 });
//   worker.task('resize', async (payload, job) => {
//     if (await job.heartbeat(0.5, 'halfway')) throw new Error('cancelled');  // also renews the lease
//     return { width: payload.width / 2 };
//   });
//   await worker.run();                    // until SIGINT/SIGTERM or worker.stop()
//
// Enqueue from anywhere: POST /jobs {"type": "resize", "payload": {...}}, or enqueue() below. Each
// claimed job is leased; while its handler runs, the worker renews the lease every leaseMs / 3, so
// a worker that dies (kill -9) loses its jobs to another worker once the lease runs out, and a
// result is recorded once: the server fences complete/fail by the lease token (a stale one gets
// 409). A handler that throws fails its attempt (retried with backoff while attempts remain);
// throw Permanent to fail for good. A refusal that retrying cannot cure (403: the key may not work
// jobs; 422: a field or type the server refuses) ends run() with a SluiceError, never a retry loop.
// The protocol is in docs/jobs.md ("workers over HTTP").

import { hostname } from 'node:os';

/** Thrown by a handler: fail the job for good, without further attempts. */
export class Permanent extends Error {
  name = 'Permanent';
}

/** The job's lease went to another worker (this one went silent too long, or the job finished). */
export class LeaseLost extends Error {
  name = 'LeaseLost';
}

/** A response from Sluice other than 2xx: `status` and the parsed JSON `body` ({code, message}). */
export class SluiceError extends Error {
  name = 'SluiceError';
  constructor(status, body) {
    super(`HTTP ${status}: ${body?.message ?? JSON.stringify(body)}`);
    this.status = status;
    this.body = body;
  }
}

/** Enqueues a job from any process: resolves to the stored job ({id, state, ...}). */
export async function enqueue(url, type, payload = {}, options = {}) {
  const { apiKey, queue, priority, delayMs, maxAttempts, timeoutMs, uniqueKey } = options;
  return post(url, '/jobs', {
    type, payload, queue, priority, delay_ms: delayMs, max_attempts: maxAttempts, timeout_ms: timeoutMs,
    unique_key: uniqueKey,  // a repeat returns the first job
  }, { apiKey, timeoutMs: 30000 });
}

/** What a handler sees of its job: id, attempt, heartbeat(progress, message), and a signal. */
class Job {
  #renew;

  constructor(claimed, signal, renew) {
    this.id = claimed.id;
    this.type = claimed.type;
    this.attempt = claimed.attempt;
    this.maxAttempts = claimed.max_attempts;
    this.leaseToken = claimed.lease_token;
    this.cancelled = false;  // DELETE /jobs/{id} was asked: the handler should stop
    this.leaseLost = false;  // the job is another worker's now
    this.signal = signal;    // aborted on either: hand it to fetch() and the like
    this.#renew = renew;
  }

  /**
   * Records progress (0..1) and renews the lease; resolves to whether cancellation was asked.
   * Throws LeaseLost once the lease is gone: the job is another worker's, stop working on it.
   */
  async heartbeat(progress, message = '') {
    await this.#renew({ progress, message: truncateUtf8(String(message), MAX_MESSAGE_BYTES) });
    if (this.leaseLost) throw new LeaseLost(this.id);
    return this.cancelled;
  }
}

export class Worker {
  #tasks = new Map();
  #running = new Map();  // job id -> { job, renew, done }: the jobs whose leases the renewer keeps
  #stopping = false;
  #renewing = false;
  #fatal = null;  // a refusal the lease renewer met: run() throws it

  /**
   * url: the server; apiKey: a key in --dataset-admin-keys when keys are on; concurrency: jobs run
   * at once (also the most one claim asks for); leaseMs: how long a silent worker keeps a job;
   * waitMs: how long one claim long-polls; queues: the queues to take jobs from (absent: every
   * queue); name: shown as the job's `worker`.
   */
  constructor({ url, apiKey, queues, concurrency = 1, leaseMs = 30000, waitMs = 10000,
                name = `node:${hostname()}:${process.pid}`, timeoutMs = 60000 } = {}) {
    this.url = url.replace(/\/+$/, '');
    this.queues = queues;
    this.apiKey = apiKey;
    this.concurrency = concurrency;
    this.leaseMs = leaseMs;
    this.waitMs = waitMs;
    this.name = name;
    this.timeoutMs = timeoutMs;
  }

  /** Registers handler(payload, job) -> result (any JSON value, or a promise of one) for `type`. */
  task(type, handler) {
    this.#tasks.set(type, handler);
    return handler;
  }

  /** Claims no more jobs; run() resolves once the jobs it holds have finished. */
  stop() {
    this.#stopping = true;
  }

  /** Claims and runs jobs until stop() (or SIGINT/SIGTERM); a second signal exits as usual. */
  async run() {
    if (this.#tasks.size === 0) throw new Error('no tasks registered: call worker.task(type, handler) first');
    const stop = () => this.stop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const renewer = setInterval(() => this.#renewLeases(), this.leaseMs / 3);
    try {
      while (!this.#stopping) {
        const free = this.concurrency - this.#running.size;
        if (free === 0) {
          await Promise.race([...this.#running.values()].map((held) => held.done));
          continue;
        }
        // Ask only for jobs there is a free slot for: a claimed job waiting for a slot would not
        // be renewed, and its lease would run out under a busy worker.
        let claimed;
        try {
          claimed = await this.#post('/jobs/claim', {
            types: [...this.#tasks.keys()], queues: this.queues, max: Math.min(free, 100), lease_ms: this.leaseMs,
            wait_ms: this.waitMs, worker: this.name,
          });
        } catch (error) {
          if (!isTransient(error)) {  // 403/422: a key or type the server refuses
            console.error('sluice worker: the server refuses to give this worker jobs:', error.message);
            throw error;
          }
          await sleep(1000);                     // the server is restarting: try again shortly
          continue;
        }
        // Jobs claimed while stop() was called run too: handing them back would cost an attempt.
        for (const item of claimed.jobs) this.#start(item);
      }
      if (this.#fatal) throw this.#fatal;
    } finally {
      await Promise.allSettled([...this.#running.values()].map((held) => held.done));
      clearInterval(renewer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  }

  // The lease protocol ----------------------------------------------------------------------

  #start(claimed) {
    const abort = new AbortController();
    const job = new Job(claimed, abort.signal, (progress) => this.#renew(job, abort, progress));
    const done = this.#runOne(job, claimed.payload)
      .catch((error) => console.error(`sluice worker: job ${job.id}:`, error))  // a report that never got through
      .finally(() => this.#running.delete(job.id));
    this.#running.set(job.id, { job, renew: () => this.#renew(job, abort), done });
  }

  async #runOne(job, payload) {
    let outcome;
    try {
      const result = await this.#tasks.get(job.type)(payload, job);
      outcome = { path: '/complete', body: { result: result ?? null } };
      JSON.stringify(outcome.body);  // a result JSON cannot carry fails the attempt, not the report
    } catch (error) {
      if (job.leaseLost) return;  // the job is another worker's: it records the outcome
      const text = truncateUtf8(
        error instanceof Permanent ? error.message || 'failed' : `${error?.name}: ${error?.message}`, MAX_ERROR_BYTES);
      outcome = { path: '/fail', body: { error: text, retry: !(error instanceof Permanent) } };
      if (job.cancelled) outcome.body.cancelled = true;  // stopped on request: recorded as cancelled
    }
    await this.#finish(job, outcome);
  }

  async #finish(job, { path, body }) {
    // A report lost to a network blip is repeated while the lease would still be ours; past
    // that, the job runs again elsewhere and a late report would be refused anyway.
    const deadline = Date.now() + this.leaseMs;
    for (;;) {
      try {
        await this.#post(`/jobs/${job.id}${path}`, { ...body, lease_token: job.leaseToken });
        return;
      } catch (error) {
        if (error instanceof SluiceError && error.status === 409) return;  // the lease went elsewhere
        if (!isTransient(error) || Date.now() > deadline) throw error;
        await sleep(500);
      }
    }
  }

  /** One heartbeat for `job` (with progress when given): renews its lease for leaseMs. */
  async #renew(job, abort, progress = {}) {
    try {
      const answer = await this.#post(`/jobs/${job.id}/heartbeat`,
                                      { lease_token: job.leaseToken, lease_ms: this.leaseMs, ...progress });
      if (answer.cancel_requested) job.cancelled = true;
    } catch (error) {
      if (error instanceof SluiceError && error.status === 409) job.leaseLost = true;
      else if (!isTransient(error)) throw error;  // e.g. progress outside 0..1: the handler's bug
      // Else the next round tries again; the lease covers a few misses.
    }
    if ((job.cancelled || job.leaseLost) && !abort.signal.aborted)
      abort.abort(job.leaseLost ? new LeaseLost(job.id) : new Error('cancel requested'));
  }

  async #renewLeases() {
    if (this.#renewing) return;  // the last round is still out: a slow server needs no more load
    this.#renewing = true;
    try {
      const rounds = await Promise.allSettled([...this.#running.values()].map((held) => held.renew()));
      // A refusal (403: the key lost its rights) would recur every round: stop and say so.
      const refused = rounds.find((round) => round.status === 'rejected');
      if (refused && !this.#fatal) {
        console.error('sluice worker: the server refuses to renew leases:', refused.reason?.message);
        this.#fatal = refused.reason;
        this.stop();
      }
    } finally {
      this.#renewing = false;
    }
  }

  #post(path, body) {
    return post(this.url, path, body, { apiKey: this.apiKey, timeoutMs: this.timeoutMs + this.waitMs });
  }
}

async function post(url, path, body, { apiKey, timeoutMs }) {
  const headers = { 'Content-Type': 'application/json' };
  if (apiKey) headers.Authorization = `Bearer ${apiKey}`;
  const response = await fetch(url.replace(/\/+$/, '') + path, {
    method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = { message: text };
  }
  if (!response.ok) throw new SluiceError(response.status, parsed);
  return parsed;
}

/** Worth trying again: no answer at all (refused, reset, timed out), or the server's own failure. */
function isTransient(error) {
  return !(error instanceof SluiceError) || error.status >= 500;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The server's limits on the strings a worker sends, in UTF-8 bytes: past them a report is refused
// with 422, so they are cut here instead.
const MAX_ERROR_BYTES = 10000;
const MAX_MESSAGE_BYTES = 2000;

/** `text` cut to at most `limit` UTF-8 bytes, never inside a character. */
export function truncateUtf8(text, limit) {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= limit) return text;
  return new TextDecoder().decode(bytes.subarray(0, limit)).replace(/\uFFFD$/, '');
}
