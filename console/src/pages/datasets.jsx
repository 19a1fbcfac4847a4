// Datasets: list with counts, create, upload by drag and drop with progress, process and follow
// the job, browse and delete documents.
import { useRef, useState } from 'preact/hooks';
import { api, listOf, upload } from '../api.js';
import { ErrorNote, Progress, ShortId, useLoad } from '../components.jsx';
import { Highlight, queryTerms } from '../highlight.jsx';
import { TERMINAL, useJobEvents } from '../jobs.js';

/** A figure of a dataset, flat or under `counts`/`stats`, by any of its likely names. */
export function figure(dataset, ...names) {
  for (const holder of [dataset, dataset?.counts, dataset?.stats])
    for (const name of names) if (typeof holder?.[name] === 'number') return holder[name];
  return null;
}
const show = (n) => (n == null ? '–' : n.toLocaleString());

export const listDatasets = async () => listOf(await api('GET', '/datasets'), 'datasets');

export function Datasets({ parts, params }) {
  if (parts[0] && parts[1] === 'documents' && parts[2])
    return <DocumentView datasetId={parts[0]} documentId={parts[2]} query={params.get('q') || ''} />;
  if (parts[0]) return <DatasetView id={parts[0]} />;
  return <DatasetList />;
}

function DatasetList() {
  const { data, error, reload } = useLoad(listDatasets, []);
  return (
    <>
      <h1>Datasets</h1>
      <CreateDataset onCreated={(d) => (location.hash = `#/datasets/${d.id}`)} />
      <ErrorNote error={error} />
      {data && data.length === 0 && <p>No datasets yet: create one above.</p>}
      {data && data.length > 0 && (
        <div class="table-wrap">
          <table data-testid="datasets">
            <caption>Datasets <button type="button" class="small" onClick={reload}>Refresh</button></caption>
            <thead>
              <tr><th>Name</th><th>Id</th><th class="num">Documents</th><th class="num">Chunks</th>
                <th class="num">Indexed</th><th class="num">Pending</th><th>Embedding model</th></tr>
            </thead>
            <tbody>
              {data.map((d) => (
                <tr>
                  <td><a href={`#/datasets/${d.id}`}>{d.name || `dataset ${d.id}`}</a></td>
                  <td>{d.id}</td>
                  <td class="num">{show(figure(d, 'documents', 'document_count', 'documents_count'))}</td>
                  <td class="num">{show(figure(d, 'chunks', 'chunk_count', 'chunks_count'))}</td>
                  <td class="num">{show(figure(d, 'indexed_chunks', 'chunks_indexed', 'indexed'))}</td>
                  <td class="num">{show(figure(d, 'pending_documents', 'documents_pending', 'pending'))}</td>
                  <td>{d.embedding_model || '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function CreateDataset({ onCreated }) {
  const [name, setName] = useState('');
  const [chunkSize, setChunkSize] = useState('');
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    const body = { name: name.trim() };
    if (chunkSize) body.chunk_size = Number(chunkSize);
    try {
      onCreated(await api('POST', '/datasets', body));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form class="inline-form" onSubmit={submit} aria-label="Create a dataset">
      <label>Name <input name="name" required value={name} onInput={(e) => setName(e.currentTarget.value)} /></label>
      <label>Chunk size (tokens, optional)
        <input name="chunk_size" type="number" min="16" max="8192" value={chunkSize}
               onInput={(e) => setChunkSize(e.currentTarget.value)} />
      </label>
      <button type="submit">Create dataset</button>
      <ErrorNote error={error} />
    </form>
  );
}

function DatasetView({ id }) {
  const { data: dataset, error, reload } = useLoad(() => api('GET', `/datasets/${encodeURIComponent(id)}`), [id]);
  const [deleteError, setDeleteError] = useState(null);
  const [documentsVersion, setDocumentsVersion] = useState(0);
  const changed = () => {
    reload();
    setDocumentsVersion((v) => v + 1);
  };
  const remove = async () => {
    if (!confirm(`Delete dataset ${dataset?.name || id} with all its documents and indexes?`)) return;
    try {
      await api('DELETE', `/datasets/${encodeURIComponent(id)}`);
      location.hash = '#/datasets';
    } catch (err) {
      setDeleteError(err);
    }
  };
  return (
    <>
      <p><a href="#/datasets">← All datasets</a></p>
      <h1>{dataset?.name || `Dataset ${id}`}</h1>
      <ErrorNote error={error} />
      {dataset && (
        <dl class="facts" data-testid="dataset-facts">
          <dt>Id</dt><dd>{dataset.id}</dd>
          <dt>Documents</dt><dd data-testid="documents-count">{show(figure(dataset, 'documents', 'document_count', 'documents_count'))}</dd>
          <dt>Chunks</dt><dd>{show(figure(dataset, 'chunks', 'chunk_count', 'chunks_count'))}</dd>
          <dt>Indexed chunks</dt><dd data-testid="indexed-count">{show(figure(dataset, 'indexed_chunks', 'chunks_indexed', 'indexed'))}</dd>
          <dt>Pending documents</dt><dd>{show(figure(dataset, 'pending_documents', 'documents_pending', 'pending'))}</dd>
          <dt>Embedding model</dt><dd>{dataset.embedding_model || '–'}</dd>
        </dl>
      )}
      <UploadZone datasetId={id} onUploaded={changed} />
      <ProcessPanel datasetId={id} lastJob={dataset?.last_job} onDone={changed} />
      <Documents datasetId={id} version={documentsVersion} onDeleted={changed} />
      <section aria-labelledby="danger-title">
        <h2 id="danger-title">Delete</h2>
        <button type="button" class="danger" onClick={remove}>Delete this dataset</button>
        <ErrorNote error={deleteError} />
      </section>
    </>
  );
}

const TYPES = { json: 'application/json', ndjson: 'application/x-ndjson', jsonl: 'application/x-ndjson',
  txt: 'text/plain', text: 'text/plain', md: 'text/markdown', markdown: 'text/markdown', html: 'text/html', htm: 'text/html' };

function uploadTarget(datasetId, file) {
  const extension = file.name.split('.').pop().toLowerCase();
  const type = TYPES[extension];
  if (!type) return null;
  let path = `/datasets/${encodeURIComponent(datasetId)}/documents`;
  // One text, Markdown or HTML file is one document: its name becomes its id and title.
  if (type.startsWith('text/')) {
    const stem = file.name.replace(/\.[^.]+$/, '');
    path += `?id=${encodeURIComponent(stem)}&title=${encodeURIComponent(stem)}`;
  }
  return { path, type };
}

function summary(answer) {
  if (!answer || typeof answer !== 'object') return 'stored';
  const parts = ['added', 'updated', 'unchanged', 'deleted']
    .filter((k) => typeof answer[k] === 'number')
    .map((k) => `${answer[k]} ${k}`);
  return parts.length ? parts.join(', ') : 'stored';
}

function UploadZone({ datasetId, onUploaded }) {
  const [uploads, setUploads] = useState([]);
  const [isOver, setOver] = useState(false);
  const input = useRef(null);
  const update = (index, change) => setUploads((list) => list.map((u, i) => (i === index ? { ...u, ...change } : u)));
  const start = async (files) => {
    const offset = uploads.length;
    const entries = [...files].map((file) => ({ name: file.name, size: file.size, sent: 0, status: 'waiting' }));
    setUploads((list) => [...list, ...entries]);
    // One at a time: a dataset's upload is one transaction on the server.
    for (const [i, file] of [...files].entries()) {
      const target = uploadTarget(datasetId, file);
      if (!target) {
        update(offset + i, { status: 'error', error: 'Unsupported file type: use .json, .ndjson, .txt, .md or .html.' });
        continue;
      }
      update(offset + i, { status: 'uploading' });
      try {
        const answer = await upload('POST', target.path, file, {
          contentType: target.type,
          onProgress: (sent, total) => update(offset + i, { sent, size: total || file.size }),
        });
        update(offset + i, { status: 'done', sent: file.size, result: summary(answer) });
      } catch (error) {
        update(offset + i, { status: 'error', error: error.message });
      }
    }
    onUploaded();
  };
  const onDrop = (e) => {
    e.preventDefault();
    setOver(false);
    if (e.dataTransfer?.files?.length) start(e.dataTransfer.files);
  };
  return (
    <section aria-labelledby="upload-title">
      <h2 id="upload-title">Upload documents</h2>
      <div class={`dropzone ${isOver ? 'over' : ''}`} data-testid="dropzone"
           onDragOver={(e) => { e.preventDefault(); setOver(true); }}
           onDragLeave={() => setOver(false)} onDrop={onDrop}>
        <p>Drop JSON, NDJSON, text, Markdown or HTML files here, or</p>
        <label class="button">
          Choose files…
          <input ref={input} type="file" multiple class="visually-hidden" data-testid="file-input"
                 accept=".json,.ndjson,.jsonl,.txt,.md,.markdown,.html,.htm"
                 onChange={(e) => { start(e.currentTarget.files); e.currentTarget.value = ''; }} />
        </label>
      </div>
      {uploads.length > 0 && (
        <ul class="uploads" data-testid="uploads" aria-live="polite">
          {uploads.map((u) => (
            <li class={u.status}>
              <span class="upload-name">{u.name}</span>
              <Progress value={u.size ? u.sent / u.size : 0} label={`Upload of ${u.name}`} />
              <span class="upload-status">{u.status === 'done' ? u.result : u.status === 'error' ? u.error : u.status}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ProcessPanel({ datasetId, lastJob, onDone }) {
  const running = lastJob && typeof lastJob === 'object' && !TERMINAL.has(lastJob.state) ? lastJob.id : null;
  const [jobId, setJobId] = useState(null);
  const [error, setError] = useState(null);
  const followed = jobId || running;
  const { job, error: streamError } = useJobEvents(followed, onDone);
  const start = async () => {
    setError(null);
    try {
      const answer = await api('POST', `/datasets/${encodeURIComponent(datasetId)}/process`);
      setJobId(answer.job_id);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section aria-labelledby="process-title">
      <h2 id="process-title">Process</h2>
      <p class="hint">Chunks the pending documents, embeds them and updates the keyword and vector indexes, as a durable job.</p>
      <button type="button" onClick={start} disabled={job && !TERMINAL.has(job.state)}>Start processing</button>
      <ErrorNote error={error || streamError} />
      {followed && (
        <div class="job-progress" data-testid="process-progress" aria-live="polite">
          <Progress value={job?.progress ?? 0} label="Processing progress" />
          <span>
            Job <a href={`#/jobs/${followed}`}><ShortId id={followed} /></a>: <strong data-testid="process-state">{job?.state ?? 'starting'}</strong>
            {job?.progress_message && ` · ${job.progress_message}`}
            {job?.last_error && <span class="error"> · {job.last_error}</span>}
          </span>
        </div>
      )}
    </section>
  );
}

const PAGE = 20;

function Documents({ datasetId, version, onDeleted }) {
  const [offset, setOffset] = useState(0);
  const [error, setError] = useState(null);
  const { data, error: loadError, reload } = useLoad(
    async () => api('GET', `/datasets/${encodeURIComponent(datasetId)}/documents?limit=${PAGE}&offset=${offset}`),
    [datasetId, offset, version],
  );
  const documents = listOf(data, 'documents');
  const total = typeof data?.total === 'number' ? data.total : null;
  const remove = async (doc) => {
    if (!confirm(`Delete document ${doc.id}?`)) return;
    try {
      await api('DELETE', `/datasets/${encodeURIComponent(datasetId)}/documents/${encodeURIComponent(doc.id)}`);
      reload();
      onDeleted();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section aria-labelledby="documents-title">
      <h2 id="documents-title">Documents{total != null && ` (${total.toLocaleString()})`}</h2>
      <ErrorNote error={loadError || error} />
      {data && documents.length === 0 && <p>No documents on this page.</p>}
      {documents.length > 0 && (
        <div class="table-wrap">
          <table data-testid="documents">
            <thead><tr><th>Id</th><th>Title</th><th class="num">Chunks</th><th>Indexed</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>
              {documents.map((doc) => (
                <tr>
                  <td><a href={`#/datasets/${datasetId}/documents/${encodeURIComponent(doc.id)}`}>{doc.id}</a></td>
                  <td>{doc.title || '–'}</td>
                  <td class="num">{show(doc.chunks)}</td>
                  <td>{doc.pending === true ? 'pending' : doc.pending === false ? 'yes' : '–'}</td>
                  <td><button type="button" class="small" onClick={() => remove(doc)} aria-label={`Delete document ${doc.id}`}>Delete</button></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div class="pager">
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>Previous</button>
        <span>{documents.length ? `${offset + 1}–${offset + documents.length}` : ''}</span>
        <button type="button" disabled={documents.length < PAGE || (total != null && offset + PAGE >= total)}
                onClick={() => setOffset(offset + PAGE)}>Next</button>
      </div>
    </section>
  );
}

function DocumentView({ datasetId, documentId, query }) {
  const path = `/datasets/${encodeURIComponent(datasetId)}/documents/${encodeURIComponent(documentId)}`;
  const { data: doc, error } = useLoad(() => api('GET', path), [path]);
  const terms = queryTerms(query);
  return (
    <>
      <p><a href={`#/datasets/${datasetId}`}>← Dataset {datasetId}</a></p>
      <h1>{doc?.title || documentId}</h1>
      <ErrorNote error={error} />
      {doc && (
        <>
          <dl class="facts">
            <dt>Id</dt><dd>{doc.id}</dd>
            {doc.metadata && Object.keys(doc.metadata).length > 0 && (
              <><dt>Metadata</dt><dd><code>{JSON.stringify(doc.metadata)}</code></dd></>
            )}
          </dl>
          <article class="document-text" data-testid="document-text"><Highlight text={doc.text} terms={terms} /></article>
        </>
      )}
    </>
  );
}
