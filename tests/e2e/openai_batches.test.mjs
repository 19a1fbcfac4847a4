// The official `openai` npm client against /v1/files and /v1/batches: upload a JSONL file, create
// a batch, poll it, download the results — for embeddings and for chat completions; cancel;
// list both.
// Usage: node tests/e2e/openai_batches.test.mjs path/to/sluice
import assert from 'node:assert/strict';
import OpenAI, { toFile } from 'openai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './start_server.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(client, id, done) {
  const deadline = Date.now() + 60000;
  for (;;) {
    const batch = await client.batches.retrieve(id);
    if (done(batch) || Date.now() > deadline) return batch;
    await sleep(50);  // the polling interval, as a client would
  }
}
const isFinal = (b) => ['completed', 'failed', 'cancelled', 'expired'].includes(b.status);

const jsonl = (lines) => lines.map((line) => JSON.stringify(line)).join('\n') + '\n';
const parseJsonl = (text) => text.trim().split('\n').map((line) => JSON.parse(line));

const dataDir = mkdtempSync(join(tmpdir(), 'sluice-batches-'));  // fresh: the lists below are exact
const server = await startServer(process.argv[2], ['--batch-concurrency', '1', '--compute-threads', '1'], dataDir);
try {
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });

  // Embeddings.
  const texts = ['How do I reset my password?', 'Steps to reset a forgotten password', 'The weather in Paris'];
  const embedInput = await client.files.create({
    file: await toFile(Buffer.from(jsonl(texts.map((input, i) => ({
      custom_id: `embed-${i}`, method: 'POST', url: '/v1/embeddings',
      body: { model: 'sluice-embed', input, encoding_format: 'float' },
    })))), 'embeddings.jsonl'),
    purpose: 'batch',
  });
  assert.equal(embedInput.object, 'file');
  assert.equal(embedInput.purpose, 'batch');
  assert.equal(embedInput.filename, 'embeddings.jsonl');
  const embedBatch = await client.batches.create({
    input_file_id: embedInput.id, endpoint: '/v1/embeddings', completion_window: '24h',
    metadata: { job: 'nightly' },
  });
  assert.equal(embedBatch.status, 'validating');
  assert.deepEqual(embedBatch.metadata, { job: 'nightly' });
  const embedDone = await waitFor(client, embedBatch.id, isFinal);
  assert.equal(embedDone.status, 'completed', JSON.stringify(embedDone));
  assert.deepEqual(embedDone.request_counts, { total: 3, completed: 3, failed: 0 });
  const embedResults = parseJsonl(await (await client.files.content(embedDone.output_file_id)).text());
  assert.deepEqual(embedResults.map((r) => r.custom_id).sort(), ['embed-0', 'embed-1', 'embed-2']);
  const byId = Object.fromEntries(embedResults.map((r) => [r.custom_id, r.response.body.data[0].embedding]));
  // The same vectors the online route gives.
  const online = await client.embeddings.create({ model: 'sluice-embed', input: texts[0], encoding_format: 'float' });
  for (let i = 0; i < 384; ++i) assert.ok(Math.abs(byId['embed-0'][i] - online.data[0].embedding[i]) < 1e-6);
  assert.equal(embedResults[0].response.status_code, 200);

  // Chat completions.
  const system = 'Sluice batches embedding requests. Cats sleep all day. Paris is in France.';
  const chatInput = await client.files.create({
    file: await toFile(Buffer.from(jsonl([
      { custom_id: 'paris', method: 'POST', url: '/v1/chat/completions',
        body: { model: 'sluice-extractive', max_tokens: 50,
                messages: [{ role: 'system', content: system }, { role: 'user', content: 'Where is Paris?' }] } },
      { custom_id: 'cats', method: 'POST', url: '/v1/chat/completions',
        body: { messages: [{ role: 'system', content: system }, { role: 'user', content: 'What do cats do?' }] } },
    ])), 'chat.jsonl'),
    purpose: 'batch',
  });
  const chatBatch = await client.batches.create({
    input_file_id: chatInput.id, endpoint: '/v1/chat/completions', completion_window: '24h',
  });
  const chatDone = await waitFor(client, chatBatch.id, isFinal);
  assert.equal(chatDone.status, 'completed', JSON.stringify(chatDone));
  const chat = Object.fromEntries(parseJsonl(await (await client.files.content(chatDone.output_file_id)).text())
    .map((r) => [r.custom_id, r.response.body]));
  assert.equal(chat.paris.object, 'chat.completion');
  assert.equal(chat.paris.choices[0].message.content, 'Paris is in France.');
  assert.equal(chat.cats.object, 'chat.completion');
  assert.ok(chat.cats.choices[0].message.content.length > 0);

  // Cancel: a long batch stops with the results it has.
  const many = Array.from({ length: 20000 }, (_, i) => ({
    custom_id: `n-${i}`, method: 'POST', url: '/v1/embeddings', body: { input: `text number ${i}` },
  }));
  const longInput = await client.files.create({ file: await toFile(Buffer.from(jsonl(many)), 'long.jsonl'),
                                                purpose: 'batch' });
  const longBatch = await client.batches.create({
    input_file_id: longInput.id, endpoint: '/v1/embeddings', completion_window: '24h',
  });
  await waitFor(client, longBatch.id, (b) => isFinal(b) || b.request_counts.completed > 0);
  const cancelling = await client.batches.cancel(longBatch.id);
  assert.equal(cancelling.status, 'cancelling');
  const cancelled = await waitFor(client, longBatch.id, isFinal);
  assert.equal(cancelled.status, 'cancelled');
  assert.ok(cancelled.request_counts.completed < many.length);

  // Lists: the client pages through them with `after`.
  const batchIds = [];
  for await (const batch of client.batches.list({ limit: 2 })) batchIds.push(batch.id);
  assert.deepEqual(batchIds, [longBatch.id, chatBatch.id, embedBatch.id]);
  const inputs = [];
  for await (const file of client.files.list({ purpose: 'batch' })) inputs.push(file.id);
  assert.deepEqual(inputs.sort(), [embedInput.id, chatInput.id, longInput.id].sort());
  const outputs = [];
  for await (const file of client.files.list({ purpose: 'batch_output' })) outputs.push(file.id);
  assert.ok(outputs.includes(embedDone.output_file_id));

  // Errors in OpenAI's shape, as the client raises them.
  await assert.rejects(client.batches.retrieve('batch_nope'), (e) => e.status === 404);
  const deleted = await client.files.delete(embedInput.id);
  assert.equal(deleted.deleted, true);
  await assert.rejects(client.files.retrieve(embedInput.id), (e) => e.status === 404);
  console.log('openai batches e2e: ok');
} finally {
  server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
