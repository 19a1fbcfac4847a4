// The console talks to the public API only, as any client would: JSON over fetch, uploads over
// XMLHttpRequest (the only browser API with upload progress), Server-Sent Events read from a
// fetch body (EventSource cannot send an Authorization header).

const KEY_NAME = 'sluice.apiKey';

/** The API key lives in sessionStorage: gone when the tab closes, never put in a URL. */
export const apiKey = {
  get: () => sessionStorage.getItem(KEY_NAME) || '',
  set: (value) => (value ? sessionStorage.setItem(KEY_NAME, value) : sessionStorage.removeItem(KEY_NAME)),
};

function authHeaders(extra = {}) {
  const key = apiKey.get();
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const STATUS_WORDS = {
  401: 'The server needs an API key: enter one in the key field at the top of the page.',
  403: 'This API key may not do that.',
  404: 'Not found.',
  413: 'Too large for the server.',
  429: 'Too many requests.',
  503: 'The server is busy or a dependency is unavailable.',
  504: 'The server gave up waiting.',
};

/** Turns any of the server's error bodies into one sentence. */
export function describeError(status, text, retryAfter) {
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  let message = '';
  if (body && Array.isArray(body.detail)) {
    // 422: FastAPI-style list of field issues.
    message = body.detail
      .map((d) => `${(d.loc || []).filter((p) => p !== 'body').join('.') || 'input'}: ${d.msg}`)
      .join('; ');
  } else if (body?.error?.message) {
    message = body.error.message;  // OpenAI's shape (/v1)
  } else if (body?.message) {
    message = body.message;
  } else if (typeof body?.detail === 'string') {
    message = body.detail;
  }
  if (status === 401) message = STATUS_WORDS[401] + (message && !/api key/i.test(message) ? ` (${message})` : '');
  if (!message) message = STATUS_WORDS[status] || `The server answered ${status}.`;
  if (retryAfter) message += ` Try again in ${retryAfter} s.`;
  return message;
}

async function failure(response, method, path) {
  const text = await response.text().catch(() => '');
  let message = describeError(response.status, text, response.headers.get('Retry-After'));
  // The router's own 404: the route itself is missing, not the thing asked for.
  if (response.status === 404 && message === 'Not Found')
    message = `This server does not offer ${method} ${path.split('?')[0]}.`;
  return new ApiError(response.status, message);
}

async function send(method, path, { body, headers = {}, signal } = {}) {
  const init = { method, headers: authHeaders(headers), signal };
  if (body !== undefined) {
    init.body = typeof body === 'string' || body instanceof Blob ? body : JSON.stringify(body);
    if (!headers['Content-Type'] && typeof body !== 'string' && !(body instanceof Blob))
      init.headers['Content-Type'] = 'application/json';
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(0, 'Cannot reach the server. Is sluice still running?');
  }
  if (!response.ok) throw await failure(response, method, path);
  return response;
}

/** A JSON call; resolves to the parsed body (null for an empty one), rejects with an ApiError. */
export async function api(method, path, body, options = {}) {
  const response = await send(method, path, { ...options, body });
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** The raw body of a GET (metrics text, a file's content). */
export async function fetchText(path, options = {}) {
  return (await send('GET', path, options)).text();
}
export async function fetchBlob(path, options = {}) {
  return (await send('GET', path, options)).blob();
}

/**
 * Reads a text/event-stream response; calls onEvent({event, data}) per event. Resolves when the
 * stream ends, rejects on an HTTP error; abort with the signal.
 */
export async function streamEvents(method, path, { body, signal, onEvent }) {
  const response = await send(method, path, { body, signal, headers: { Accept: 'text/event-stream' } });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;  // keep-alive comment
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = text;
        else if (field === 'data') data.push(text);
      }
      if (data.length) onEvent({ event, data: data.join('\n') });
    }
  }
}

/**
 * Uploads a body with progress (XMLHttpRequest's upload events); resolves to the parsed JSON
 * answer. `onProgress(sent, total)`.
 */
export function upload(method, path, body, { contentType, onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    for (const [name, value] of Object.entries(authHeaders(contentType ? { 'Content-Type': contentType } : {})))
      xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.lengthComputable ? e.total : 0);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(xhr.responseText ? JSON.parse(xhr.responseText) : null);
        } catch {
          resolve(null);
        }
      } else {
        reject(new ApiError(xhr.status, describeError(xhr.status, xhr.responseText, xhr.getResponseHeader('Retry-After'))));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'The upload failed: the connection was lost.'));
    xhr.onabort = () => reject(new DOMException('Upload cancelled', 'AbortError'));
    signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(body);
  });
}

/** A list out of a body that may be a bare array or an object wrapping one. */
export function listOf(body, ...keys) {
  if (Array.isArray(body)) return body;
  for (const key of [...keys, 'data', 'items', 'results'])
    if (Array.isArray(body?.[key])) return body[key];
  return [];
}

/** Saves a Blob under `name` through a temporary object URL. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
