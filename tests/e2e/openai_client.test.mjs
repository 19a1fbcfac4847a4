// The official `openai` npm client against `sluice serve`: models, embeddings (single, batch,
// base64 — the client's default — and float), chat completion, streamed chat completion,
// text completion and OpenAI-shaped errors.
// Usage: node tests/e2e/openai_client.test.mjs path/to/sluice
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer } from './start_server.mjs';

const cosine = (a, b) => a.reduce((sum, x, i) => sum + x * b[i], 0);

const server = await startServer(process.argv[2]);
try {
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });

  const models = await client.models.list();
  const ids = models.data.map((m) => m.id);
  assert.deepEqual(ids.sort(), ['sluice-embed', 'sluice-extractive']);

  // Single input; the client asks for base64 by default and decodes it to floats.
  const single = await client.embeddings.create({ model: 'sluice-embed', input: 'How do I reset my password?' });
  assert.equal(single.data.length, 1);
  assert.equal(single.data[0].embedding.length, 384);
  assert.ok(Math.abs(cosine(single.data[0].embedding, single.data[0].embedding) - 1) < 1e-4, 'unit length');
  assert.equal(single.usage.prompt_tokens, 6);

  // Batch, as floats: the paraphrase ranks above the unrelated text.
  const batch = await client.embeddings.create({
    model: 'sluice-embed', encoding_format: 'float',
    input: ['How do I reset my password?', 'Steps to reset a forgotten password', 'The weather in Paris is sunny'],
  });
  assert.deepEqual(batch.data.map((d) => d.index), [0, 1, 2]);
  const [q, para, other] = batch.data.map((d) => d.embedding);
  assert.ok(cosine(q, para) > cosine(q, other), 'paraphrase ranks above unrelated text');
  // base64 and float encode the same vector.
  for (let i = 0; i < 384; ++i) assert.ok(Math.abs(q[i] - single.data[0].embedding[i]) < 1e-6);

  // Explicit base64, decoded by hand: little-endian float32.
  const raw = await client.embeddings.create({ model: 'sluice-embed', input: 'hello', encoding_format: 'base64',
                                               dimensions: 64 });
  const bytes = Buffer.from(raw.data[0].embedding, 'base64');
  assert.equal(bytes.length, 64 * 4);
  const floats = Array.from({ length: 64 }, (_, i) => bytes.readFloatLE(i * 4));
  assert.ok(Math.abs(cosine(floats, floats) - 1) < 1e-4, 'truncated vectors are renormalised');

  const messages = [
    { role: 'system', content: 'Sluice batches embedding requests. Cats sleep all day. Paris is in France.' },
    { role: 'user', content: 'Where is Paris?' },
  ];
  const chat = await client.chat.completions.create({ model: 'sluice-extractive', messages, max_tokens: 50 });
  assert.equal(chat.object, 'chat.completion');
  assert.equal(chat.choices[0].message.role, 'assistant');
  assert.equal(chat.choices[0].message.content, 'Paris is in France.');
  assert.equal(chat.choices[0].finish_reason, 'stop');
  assert.equal(chat.usage.completion_tokens, 4);
  assert.equal(chat.usage.total_tokens, chat.usage.prompt_tokens + 4);

  const stream = await client.chat.completions.create({
    model: 'sluice-extractive', messages, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let chunks = 0;
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    ++chunks;
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    text += choice.delta?.content ?? '';
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  assert.equal(text, 'Paris is in France.');
  assert.equal(finish, 'stop');
  assert.ok(chunks >= 6, `streamed word by word (${chunks} chunks)`);
  assert.equal(usage.completion_tokens, 4);

  const limited = await client.chat.completions.create({ model: 'sluice-extractive', messages, max_tokens: 2 });
  assert.equal(limited.choices[0].message.content, 'Paris is');
  assert.equal(limited.choices[0].finish_reason, 'length');

  const completion = await client.completions.create({ model: 'sluice-extractive', prompt: 'hello big world',
                                                        stop: [' hello'] });
  assert.equal(completion.choices[0].text, 'world big');

  // Errors come back in OpenAI's shape, which the client turns into typed exceptions.
  await assert.rejects(client.embeddings.create({ model: 'no-such-model', input: 'x' }), (e) => {
    assert.equal(e.status, 404);
    assert.equal(e.code, 'model_not_found');
    return true;
  });
  await assert.rejects(
    client.chat.completions.create({ model: 'sluice-extractive', messages, temperature: 5 }), (e) => {
      assert.equal(e.status, 400);
      assert.equal(e.param, 'temperature');
      assert.equal(e.type, 'invalid_request_error');
      return true;
    });
  // A field the built-in extractive generator cannot honour is a 400 naming it, never a 200
  // that ignores it: tools, JSON output, log-probabilities.
  const weather = { type: 'function', function: { name: 'weather', parameters: { type: 'object', properties: {} } } };
  const refusals = [
    [{ tools: [weather], tool_choice: 'required' }, 'tools'],
    [{ tools: [weather] }, 'tools'],
    [{ response_format: { type: 'json_object' } }, 'response_format'],
    [{ response_format: { type: 'json_schema', json_schema: { name: 'r', schema: { type: 'object' } } } },
     'response_format'],
    [{ logprobs: true, top_logprobs: 2 }, 'logprobs'],
  ];
  for (const [fields, param] of refusals) {
    for (const stream of [false, true]) {
      await assert.rejects(
        client.chat.completions.create({ model: 'sluice-extractive', messages, stream, ...fields }), (e) => {
          assert.equal(e.status, 400, JSON.stringify(fields));
          assert.equal(e.param, param);
          assert.equal(e.code, 'unsupported_parameter');
          assert.match(e.message, /sluice-extractive/);
          return true;
        });
    }
  }
  const plain = await client.chat.completions.create({ model: 'sluice-extractive', messages, tools: [],
                                                        tool_choice: 'none' });
  assert.equal(plain.choices[0].message.content, 'Paris is in France.', 'an empty tool list asks for nothing');
  // A second Sluice using the first as its remote provider: streaming passes through.
  const proxy = await startServer(process.argv[2], [
    '--provider-url', `${server.url}/v1`, '--model', 'sluice-extractive', '--embedding-model', 'sluice-embed']);
  try {
    const viaProxy = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    let proxied = '';
    for await (const chunk of await viaProxy.chat.completions.create({ model: 'sluice-extractive', messages,
                                                                      stream: true }))
      proxied += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(proxied, 'Paris is in France.');
    const proxiedEmbedding = await viaProxy.embeddings.create({ model: 'sluice-embed', input: 'How do I reset my password?' });
    for (let i = 0; i < 384; ++i) assert.ok(Math.abs(proxiedEmbedding.data[0].embedding[i] - q[i]) < 1e-6);
  } finally {
    proxy.stop();
  }

  console.log(`openai client: ${ids.length} models, embeddings, chat, streamed chat (${chunks} chunks) all ok`);
} finally {
  server.stop();
}
