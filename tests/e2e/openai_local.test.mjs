// The official `openai` npm client against `sluice serve --model stories260K.gguf`: a local GGUF
// model through the OpenAI-compatible API, streamed and not.
// Usage: node tests/e2e/openai_local.test.mjs path/to/sluice path/to/stories260K.gguf
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer } from './start_server.mjs';

const oracle = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park. '
  + 'One day, she saw a big, red ball. She wanted to play with it, but it was too high.\nLily';

const server = await startServer(process.argv[2], ['--model', `stories=${process.argv[3]}`,
  '--embedding-model', `stories-embed=${process.argv[3]}`, '--model-threads', '1', '--parallel', '4']);
try {
  const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });

  const models = await client.models.list();
  assert.deepEqual(models.data.map((m) => m.id), ['stories', 'stories-embed']);

  const completion = await client.completions.create({
    model: 'stories', prompt: 'Once upon a time', max_tokens: 60, temperature: 0,
  });
  assert.ok(oracle.startsWith(`Once upon a time${completion.choices[0].text}`.slice(0, oracle.length)));
  assert.equal(completion.choices[0].finish_reason, 'length');
  assert.equal(completion.usage.completion_tokens, 60);

  // Streamed: the pieces add up to the same text as the plain answer.
  const stream = await client.completions.create({
    model: 'stories', prompt: 'Once upon a time', max_tokens: 60, temperature: 0, stream: true,
  });
  let streamed = '';
  let pieces = 0;
  for await (const chunk of stream) {
    const text = chunk.choices[0]?.text ?? '';
    if (text) ++pieces;
    streamed += text;
  }
  assert.equal(streamed, completion.choices[0].text);
  // A token per chunk while the client keeps up; tokens that pile up while the server's IO
  // thread is busy (a loaded machine: 9 chunks once under ctest -j2) go out together.
  assert.ok(pieces > 1, `streamed in pieces, not in one (${pieces} pieces)`);

  // Concurrent streamed chats, each equal to the same chat alone.
  const messages = [{ role: 'user', content: 'Tell me about Lily' }];
  const alone = await client.chat.completions.create({ model: 'stories', messages, max_tokens: 30, temperature: 0 });
  const together = await Promise.all(Array.from({ length: 4 }, async () => {
    const s = await client.chat.completions.create({
      model: 'stories', messages, max_tokens: 30, temperature: 0, stream: true,
    });
    let text = '';
    for await (const chunk of s) text += chunk.choices[0]?.delta?.content ?? '';
    return text;
  }));
  for (const text of together) assert.equal(text, alone.choices[0].message.content);

  const stopped = await client.completions.create({
    model: 'stories', prompt: 'Once upon a time', max_tokens: 60, temperature: 0, stop: ['Lily'],
  });
  assert.equal(stopped.choices[0].text, ', there was a little girl named ');
  assert.equal(stopped.choices[0].finish_reason, 'stop');

  const embeddings = await client.embeddings.create({ model: 'stories-embed', input: ['Once upon a time', 'Lily'] });
  assert.equal(embeddings.data.length, 2);
  assert.equal(embeddings.data[0].embedding.length, 64);

  await assert.rejects(client.completions.create({ model: 'stories', prompt: 'x', response_format: { type: 'bogus' } }),
                       (e) => e.status === 400);
  // What the local model cannot do yet is refused by name: tools, a JSON schema, log-probabilities.
  const tools = [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }];
  for (const [fields, param] of [[{ tools }, 'tools'],
                                 [{ response_format: { type: 'json_schema',
                                                       json_schema: { name: 'r', schema: { type: 'object' } } } },
                                  'response_format'],
                                 [{ logprobs: true }, 'logprobs']]) {
    await assert.rejects(client.chat.completions.create({ model: 'stories', messages, max_tokens: 5, ...fields }),
                         (e) => e.status === 400 && e.param === param && e.code === 'unsupported_parameter');
  }
  console.log('openai client against the local model: ok');
} finally {
  server.stop();
}
