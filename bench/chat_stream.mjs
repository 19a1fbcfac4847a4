// Streamed chat: time to first token and tokens/s, as a client sees them.
// Usage: node bench/chat_stream.mjs BASE_URL [requests=200] [concurrency=1]
// Each request asks about a context whose answer is three long sentences (~500 words), so a
// stream carries ~500 chunks; tokens = content chunks.
const [base, requests = '200', concurrency = '1'] = process.argv.slice(2);
const words = (topic, n) => Array.from({ length: n }, (_, i) => `${topic}${i % 7 === 0 ? ' batching' : ''} word${i}`).join(' ');
const context = [`Batching ${words('alpha', 100)}.`, `Unrelated ${words('beta', 30)}.`,
                 `Batching ${words('gamma', 100)}.`, `Batching ${words('delta', 100)}.`].join(' ');
const body = JSON.stringify({ model: 'sluice-extractive', stream: true, max_tokens: 4096,
                              messages: [{ role: 'system', content: context }, { role: 'user', content: 'batching?' }] });

async function one() {
  const start = performance.now();
  const response = await fetch(`${base}/v1/chat/completions`, { method: 'POST', body,
                                                                headers: { 'Content-Type': 'application/json' } });
  if (!response.ok) throw new Error(`status ${response.status}`);
  const decoder = new TextDecoder();
  let buffered = '', first = 0, tokens = 0, done = false;
  for await (const bytes of response.body) {
    buffered += decoder.decode(bytes, { stream: true });
    let end;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (!event.startsWith('data: ')) continue;
      const data = event.slice(6);
      if (data === '[DONE]') { done = true; continue; }
      if (JSON.parse(data).choices[0]?.delta?.content) {
        if (!first) first = performance.now();
        ++tokens;
      }
    }
  }
  if (!done) throw new Error('stream ended without [DONE]');
  const finish = performance.now();
  return { ttft: first - start, tokens, seconds: (finish - start) / 1000, decode: (finish - first) / 1000 };
}

const results = [];
const started = performance.now();
async function worker(n) { for (let i = 0; i < n; ++i) results.push(await one()); }
const per = Math.ceil(Number(requests) / Number(concurrency));
await Promise.all(Array.from({ length: Number(concurrency) }, () => worker(per)));
const wall = (performance.now() - started) / 1000;
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const pct = (xs, p) => sorted(xs)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const ttft = results.map((r) => r.ttft);
const perStream = results.map((r) => r.tokens / r.decode);
const tokens = results.reduce((s, r) => s + r.tokens, 0);
console.log(JSON.stringify({
  requests: results.length, concurrency: Number(concurrency), tokens_per_stream: results[0].tokens,
  ttft_ms_p50: +pct(ttft, 0.5).toFixed(2), ttft_ms_p99: +pct(ttft, 0.99).toFixed(2),
  stream_tokens_per_s_p50: Math.round(pct(perStream, 0.5)), total_tokens_per_s: Math.round(tokens / wall),
}));
