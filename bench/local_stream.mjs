// Streamed completions against an OpenAI-compatible server (Sluice or llama-server): generated
// tokens/s in all and time to first token, at a fixed number of concurrent streams.
// Usage: node bench/local_stream.mjs BASE_URL STREAMS [rounds=2] [tokens=128] [model=stories]
// Every stream asks for exactly `tokens` tokens (ignore_eos), greedy; each of the STREAMS
// clients runs `rounds` requests back to back. Tokens are counted from the final usage (Sluice)
// or the timings (llama-server), not from chunks, so both servers are measured alike.
const [base, streams, rounds = '2', tokens = '128', model = 'stories'] = process.argv.slice(2);
const prompts = ['Once upon a time', 'The little dog', 'Lily and Ben went to the park', 'One day, a bird',
                 'Tom had a red ball', 'The sun was warm', 'Sue liked to draw', 'A big bear lived in the woods'];

async function one(i) {
  const body = JSON.stringify({ model, prompt: prompts[i % prompts.length], max_tokens: Number(tokens),
                                temperature: 0, ignore_eos: true, stream: true,
                                stream_options: { include_usage: true } });
  const start = performance.now();
  const response = await fetch(`${base}/v1/completions`, { method: 'POST', body,
                                                           headers: { 'Content-Type': 'application/json' } });
  if (!response.ok) throw new Error(`status ${response.status}: ${await response.text()}`);
  const decoder = new TextDecoder();
  let buffered = '', first = 0, generated = 0;
  for await (const bytes of response.body) {
    buffered += decoder.decode(bytes, { stream: true });
    let end;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (!event.startsWith('data: ') || event === 'data: [DONE]') continue;
      const data = JSON.parse(event.slice(6));
      if (!first && data.choices?.[0]?.text) first = performance.now();
      if (data.usage) generated = data.usage.completion_tokens;
      if (data.timings) generated = data.timings.predicted_n;
    }
  }
  return { ttft: first - start, generated };
}

const results = [];
const started = performance.now();
async function client(c) { for (let r = 0; r < Number(rounds); ++r) results.push(await one(c + r)); }
await Promise.all(Array.from({ length: Number(streams) }, (_, c) => client(c)));
const wall = (performance.now() - started) / 1000;
const sorted = results.map((r) => r.ttft).sort((a, b) => a - b);
const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const generated = results.reduce((s, r) => s + r.generated, 0);
console.log(JSON.stringify({ streams: Number(streams), requests: results.length,
                             tokens_per_request: results[0].generated, tokens_per_s: +(generated / wall).toFixed(1),
                             ttft_ms_p50: +pct(0.5).toFixed(1), ttft_ms_p99: +pct(0.99).toFixed(1) }));
