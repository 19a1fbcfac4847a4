// Chat playground: a model from /v1/models with streamed tokens, or a grounded answer from a
// dataset with its citations beside it.
import { useRef, useState } from 'preact/hooks';
import { api, listOf, streamEvents } from '../api.js';
import { ErrorNote, useLoad } from '../components.jsx';
import { listDatasets } from './datasets.jsx';
import { DatasetPicker } from './search.jsx';

const listModels = async () => listOf(await api('GET', '/v1/models'), 'data');

export function Chat() {
  const [mode, setMode] = useState('model');
  return (
    <>
      <h1>Chat</h1>
      <fieldset class="modes">
        <legend>Answer with</legend>
        <label><input type="radio" name="chat-mode" checked={mode === 'model'} onChange={() => setMode('model')} /> a model</label>
        <label><input type="radio" name="chat-mode" checked={mode === 'dataset'} onChange={() => setMode('dataset')} /> a dataset (grounded, with citations)</label>
      </fieldset>
      {mode === 'model' ? <ModelChat /> : <DatasetAnswer />}
    </>
  );
}

/** Text of one streamed piece, whichever of the usual shapes it has. */
function pieceText(obj) {
  if (typeof obj === 'string') return obj;
  const delta = obj?.choices?.[0]?.delta?.content ?? obj?.choices?.[0]?.text;
  if (typeof delta === 'string') return delta;
  for (const key of ['delta', 'text', 'content', 'piece', 'token']) if (typeof obj?.[key] === 'string') return obj[key];
  return '';
}

function useStream() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const abort = useRef(null);
  const run = async (method, path, body, onData) => {
    setError(null);
    setBusy(true);
    abort.current = new AbortController();
    try {
      await streamEvents(method, path, {
        body,
        signal: abort.current.signal,
        onEvent: ({ event, data }) => {
          if (data === '[DONE]') return;
          let parsed = data;
          try {
            parsed = JSON.parse(data);
          } catch {
            /* a bare text piece */
          }
          if (event === 'error' || parsed?.error) throw new Error(parsed?.error?.message || parsed?.message || data);
          onData(event, parsed);
        },
      });
    } catch (err) {
      if (err.name !== 'AbortError') setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, stop: () => abort.current?.abort() };
}

function Composer({ busy, onSend, onStop, label }) {
  const [text, setText] = useState('');
  const send = (e) => {
    e.preventDefault();
    if (!text.trim() || busy) return;
    onSend(text.trim());
    setText('');
  };
  return (
    <form class="composer" onSubmit={send}>
      <label class="grow">
        {label}
        <textarea rows="2" value={text} onInput={(e) => setText(e.currentTarget.value)}
                  onKeyDown={(e) => { if (e.key === 'Enter' && !e.shiftKey) send(e); }} />
      </label>
      {busy ? <button type="button" onClick={onStop}>Stop</button> : <button type="submit">Send</button>}
    </form>
  );
}

function ModelChat() {
  const { data: models, error: modelsError } = useLoad(listModels, []);
  const [model, setModel] = useState('');
  const [messages, setMessages] = useState([]);
  const stream = useStream();
  const chosen = model || models?.[0]?.id || '';
  const send = (text) => {
    const history = [...messages, { role: 'user', content: text }];
    setMessages([...history, { role: 'assistant', content: '' }]);
    const append = (piece) =>
      setMessages((list) => list.map((m, i) => (i === list.length - 1 ? { ...m, content: m.content + piece } : m)));
    stream.run('POST', '/v1/chat/completions', { model: chosen, messages: history, stream: true },
               (event, data) => append(pieceText(data)));
  };
  return (
    <section aria-label="Chat with a model">
      <ErrorNote error={modelsError} />
      <div class="inline-form">
        <label>
          Model
          <select aria-label="Model" value={chosen} onChange={(e) => setModel(e.currentTarget.value)}>
            {(models || []).map((m) => (
              <option value={m.id}>{m.id}{m.owned_by ? ` (${m.owned_by})` : ''}</option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => setMessages([])} disabled={stream.busy || !messages.length}>New chat</button>
      </div>
      <ol class="messages" data-testid="messages" aria-live="polite">
        {messages.map((m) => (
          <li class={`message ${m.role}`}>
            <span class="role">{m.role === 'user' ? 'You' : chosen}</span>
            <div class="content">{m.content || (stream.busy ? '…' : '')}</div>
          </li>
        ))}
      </ol>
      <ErrorNote error={stream.error} />
      <Composer busy={stream.busy} onSend={send} onStop={stream.stop} label="Message (Enter sends, Shift+Enter for a new line)" />
    </section>
  );
}

function DatasetAnswer() {
  const { data: datasets, error: listError } = useLoad(listDatasets, []);
  const [dataset, setDataset] = useState('');
  const [question, setQuestion] = useState('');
  const [answer, setAnswer] = useState('');
  const [citations, setCitations] = useState([]);
  const stream = useStream();
  const chosen = dataset || (datasets?.length ? String(datasets[0].id) : '');
  const ask = (text) => {
    setQuestion(text);
    setAnswer('');
    setCitations([]);
    stream.run('POST', `/datasets/${encodeURIComponent(chosen)}/answer`, { question: text, stream: true }, (event, data) => {
      if (event === 'citations' || Array.isArray(data?.citations)) {
        setCitations(Array.isArray(data) ? data : data.citations);
        if (typeof data?.answer === 'string') setAnswer(data.answer);
        return;
      }
      if (typeof data?.answer === 'string') setAnswer(data.answer);
      else setAnswer((a) => a + pieceText(data));
    });
  };
  return (
    <section aria-label="Answer from a dataset">
      <ErrorNote error={listError} />
      <div class="inline-form">
        <DatasetPicker id="answer-dataset" value={chosen} onChange={setDataset} datasets={datasets || []} />
      </div>
      <div class="answer-layout">
        <div class="answer" aria-live="polite">
          {question && <p class="question"><strong>Q:</strong> {question}</p>}
          <div class="content" data-testid="answer">{answer || (stream.busy ? '…' : '')}</div>
        </div>
        <aside class="citations" aria-label="Citations">
          <h2>Citations</h2>
          {citations.length === 0 && <p class="hint">The passages the answer draws on appear here.</p>}
          <ol data-testid="citations">
            {citations.map((c) => (
              <li>
                <a href={`#/datasets/${chosen}/documents/${encodeURIComponent(c.document_id)}?q=${encodeURIComponent(question)}`}>
                  {c.title || c.document_id}
                </a>
                {c.chunk_id != null && <small> · chunk {c.chunk_id}</small>}
                {c.text && <blockquote>{c.text}</blockquote>}
              </li>
            ))}
          </ol>
        </aside>
      </div>
      <ErrorNote error={stream.error} />
      <Composer busy={stream.busy} onSend={ask} onStop={stream.stop} label="Question" />
    </section>
  );
}
