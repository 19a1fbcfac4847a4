// /openapi.json, validated by a real OpenAPI 3.1 validator (@seriousme/openapi-schema-validator).
// Usage: node tests/e2e/openapi_valid.test.mjs path/to/sluice
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startServer } from './start_server.mjs';

// With API keys configured, so that the security scheme is part of what is validated.
process.env.SLUICE_API_KEYS = 'openapi-test-key';
const server = await startServer(process.argv[2]);
try {
  const response = await fetch(`${server.url}/openapi.json`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /application\/json/);
  const spec = await response.json();

  const validator = new Validator();
  const result = await validator.validate(spec);
  assert.ok(result.valid, `invalid OpenAPI document: ${JSON.stringify(result.errors, null, 2)}`);
  assert.equal(validator.version, '3.1');

  // The article's endpoints, with what a client needs to call them.
  for (const [path, method] of [['/health', 'get'], ['/generate', 'get'], ['/datasets/{dataset_id}/process', 'post'],
                                ['/ai/generate', 'post'], ['/ai', 'get']])
    assert.ok(spec.paths[path]?.[method], `${method.toUpperCase()} ${path} is documented`);
  const prompt = spec.paths['/generate'].get.parameters.find((p) => p.name === 'prompt');
  assert.deepEqual(prompt, { name: 'prompt', in: 'query', required: true, schema: { type: 'string' } });
  const datasetId = spec.paths['/datasets/{dataset_id}/process'].post.parameters[0];
  assert.equal(datasetId.schema.type, 'integer');
  assert.ok(spec.paths['/generate'].get.responses['422'], '422 is documented');
  assert.ok(spec.components.schemas.HTTPValidationError);
  // What the guards may answer instead of the handler, and the API key they ask for.
  assert.deepEqual(spec.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer' });
  assert.deepEqual(spec.paths['/ai'].get.security, [{ bearerAuth: [] }]);
  assert.ok(spec.paths['/ai'].get.responses['401'] && spec.paths['/ai'].get.responses['429']);
  assert.ok(spec.paths['/generate'].get.responses['503'], 'admission control is documented');
  assert.equal(spec.paths['/health'].get.security, undefined, '/health needs no key');
  // The OpenAI-compatible routes: typed bodies, and errors in OpenAI's shape with 400 for bad input.
  const schemaOf = (ref) => spec.components.schemas[ref.$ref.split('/').pop()];
  for (const [path, model, required] of [['/v1/embeddings', 'EmbeddingsRequest', 'input'],
                                         ['/v1/chat/completions', 'ChatCompletionRequest', 'messages'],
                                         ['/v1/completions', 'CompletionRequest', 'prompt']]) {
    const operation = spec.paths[path].post;
    const body = operation.requestBody.content['application/json'].schema;
    assert.equal(body.$ref, `#/components/schemas/${model}`, `${path} documents its request body`);
    assert.ok(schemaOf(body).required.includes(required), `${model} requires ${required}`);
    assert.equal(operation.responses['422'], undefined, `${path} answers 400, not 422`);
    assert.equal(operation.responses['400'].content['application/json'].schema.$ref,
                 '#/components/schemas/ErrorResponse');
  }
  const chat = spec.components.schemas.ChatCompletionRequest.properties;
  assert.equal(chat.temperature.anyOf[0].maximum, 2, 'constraints are documented');
  assert.ok(chat.max_tokens && chat.stream && chat.response_format, 'the shared sampling fields are documented');
  assert.equal(spec.paths['/v1/models'].get.responses['200'].content['application/json'].schema.$ref,
               '#/components/schemas/ModelList');
  // Routes that read their body by content type document every type they accept (a proxy
  // validator refuses an upload whose type the document does not list).
  const upload = spec.paths['/datasets/{dataset_id}/documents'].post.requestBody;
  assert.ok(upload?.required, 'the document upload documents its body');
  assert.deepEqual(Object.keys(upload.content).sort(),
                   ['application/epub+zip', 'application/json', 'application/pdf',
                    'application/vnd.oasis.opendocument.text',
                    'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'application/x-ndjson',
                    'multipart/form-data', 'text/html', 'text/markdown', 'text/plain']);
  assert.equal(upload.content['application/pdf'].schema.format, 'binary', 'a file is documented as bytes');
  assert.ok(upload.content['application/json'].schema.properties.documents, 'the JSON upload has its schema');
  const fileUpload = spec.paths['/v1/files'].post.requestBody;
  assert.ok(fileUpload?.content['multipart/form-data'], 'the file upload documents multipart/form-data');
  console.log(`openapi.json valid (OpenAPI ${spec.openapi}, ${Object.keys(spec.paths).length} paths)`);
} finally {
  server.stop();
}
