// Embeddings/s against an OpenAI-compatible server (Sluice or llama-server): CLIENTS concurrent
// clients, one short text per request, for SECONDS.
// Usage: node bench/local_embeddings.mjs BASE_URL CLIENTS [seconds=10] [model=stories]
const [base, clients, seconds = '10', model = 'stories'] = process.argv.slice(2);
const texts = ['Once upon a time there was a little girl', 'The dog ran to the park to play with the ball',
               'Lily was happy', 'Tom and Sue went to see the big tree in the garden'];
let done = 0;
const until = performance.now() + Number(seconds) * 1000;
async function client(c) {
  for (let i = c; performance.now() < until; i += Number(clients)) {
    const response = await fetch(`${base}/v1/embeddings`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model, input: texts[i % texts.length] }) });
    if (!response.ok) throw new Error(`status ${response.status}: ${await response.text()}`);
    await response.json();
    ++done;
  }
}
const started = performance.now();
await Promise.all(Array.from({ length: Number(clients) }, (_, c) => client(c)));
console.log(JSON.stringify({ clients: Number(clients), embeddings_per_s: +(done / ((performance.now() - started) / 1000)).toFixed(1) }));
