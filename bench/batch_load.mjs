// Load for bench/batch.sh.
//   node bench/batch_load.mjs input N                 → a JSONL batch input of N /v1/embeddings lines on stdout
//   node bench/batch_load.mjs interactive URL MS S [BATCH_ID]
//        one client, one POST /v1/embeddings every MS ms (open loop: latency counts from the
//        scheduled time, so a slow answer does not delay the next measurement's start), for S
//        seconds or until batch BATCH_ID leaves in_progress; prints "samples,p50_ms,p99_ms,max_ms,errors".
import http from 'node:http';

const sentence = (i) => `Background jobs survive restarts because their state lives in SQLite, document ${i}.`;
const body = (i) => JSON.stringify({ model: 'sluice-embed', encoding_format: 'base64', input: sentence(i) });

const [mode, ...args] = process.argv.slice(2);

if (mode === 'input') {
  const n = Number(args[0]);
  const lines = [];
  for (let i = 0; i < n; ++i)
    lines.push(JSON.stringify({ custom_id: `line-${i}`, method: 'POST', url: '/v1/embeddings', body: JSON.parse(body(i)) }));
  process.stdout.write(lines.join('\n') + '\n');
} else if (mode === 'interactive') {
  const [url, ms, seconds, batchId] = [args[0], Number(args[1]), Number(args[2]), args[3]];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const target = new URL('/v1/embeddings', url);
  const post = (i) => new Promise((resolve) => {
    const data = body(1_000_000 + i);
    const request = http.request(target, { method: 'POST', agent, headers: { 'Content-Type': 'application/json',
                                                                              'Content-Length': Buffer.byteLength(data) } },
                                 (response) => { response.resume(); response.on('end', () => resolve(response.statusCode)); });
    request.on('error', () => resolve(0));
    request.end(data);
  });
  const batchRunning = async () => {
    if (!batchId) return true;
    const response = await fetch(new URL(`/v1/batches/${batchId}`, url));
    return (await response.json()).status === 'in_progress';
  };
  const latencies = [];
  let errors = 0;
  const start = performance.now();
  const pending = [];
  let running = true;
  const watcher = batchId ? setInterval(async () => { if (!(await batchRunning())) running = false; }, 100) : null;
  for (let i = 0; running && performance.now() - start < seconds * 1000; ++i) {
    const scheduled = start + i * ms;
    const wait = scheduled - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(post(i).then((status) => {
      if (status === 200) latencies.push(performance.now() - scheduled);
      else ++errors;
    }));
  }
  await Promise.all(pending);
  if (watcher) clearInterval(watcher);
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(2);
  console.log(`${latencies.length},${at(0.5)},${at(0.99)},${latencies[latencies.length - 1].toFixed(2)},${errors}`);
  agent.destroy();
} else {
  console.error('usage: batch_load.mjs input N | interactive URL MS SECONDS [BATCH_ID]');
  process.exit(2);
}
