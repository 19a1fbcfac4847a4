// Batches (OpenAI's Batch API): create one from a JSONL file, follow its request counts, cancel,
// download its output and error files.
import { useState } from 'preact/hooks';
import { api, fetchBlob, listOf, saveBlob, upload } from '../api.js';
import { ErrorNote, Progress, ShortId, formatTime, useLoad } from '../components.jsx';

const ENDPOINTS = ['/v1/embeddings', '/v1/chat/completions', '/v1/completions'];
const FINISHED = new Set(['completed', 'failed', 'cancelled', 'expired']);

function CreateBatch({ onCreated }) {
  const [file, setFile] = useState(null);
  const [endpoint, setEndpoint] = useState(ENDPOINTS[0]);
  const [sent, setSent] = useState(0);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e) => {
    e.preventDefault();
    if (!file) return;
    setError(null);
    setBusy(true);
    try {
      const form = new FormData();
      form.append('purpose', 'batch');
      form.append('file', file);
      const uploaded = await upload('POST', '/v1/files', form, { onProgress: (n, total) => setSent(total ? n / total : 0) });
      const batch = await api('POST', '/v1/batches',
                              { input_file_id: uploaded.id, endpoint, completion_window: '24h' });
      onCreated(batch);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="inline-form" onSubmit={submit} aria-label="Create a batch">
      <label>
        Requests (JSONL)
        <input type="file" accept=".jsonl,.ndjson,.json" required data-testid="batch-file"
               onChange={(e) => setFile(e.currentTarget.files[0] || null)} />
      </label>
      <label>
        Endpoint
        <select aria-label="Endpoint" value={endpoint} onChange={(e) => setEndpoint(e.currentTarget.value)}>
          {ENDPOINTS.map((p) => <option value={p}>{p}</option>)}
        </select>
      </label>
      <button type="submit" disabled={busy || !file}>Create batch</button>
      {busy && <Progress value={sent} label="Upload of the batch file" />}
      <ErrorNote error={error} />
    </form>
  );
}

function Download({ fileId, label, name }) {
  const [error, setError] = useState(null);
  if (!fileId) return null;
  const save = async () => {
    setError(null);
    try {
      saveBlob(await fetchBlob(`/v1/files/${encodeURIComponent(fileId)}/content`), name);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <button type="button" class="small" onClick={save}>{label}</button>
      <ErrorNote error={error} />
    </>
  );
}

function BatchRow({ batch, onChange }) {
  const [error, setError] = useState(null);
  const counts = batch.request_counts || {};
  const done = (counts.completed ?? 0) + (counts.failed ?? 0);
  const cancel = async () => {
    try {
      await api('POST', `/v1/batches/${encodeURIComponent(batch.id)}/cancel`);
      onChange();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <tr data-batch={batch.id}>
      <td><ShortId id={batch.id} /></td>
      <td>{batch.endpoint}</td>
      <td><span class={`state ${batch.status}`}>{batch.status}</span></td>
      <td><Progress value={counts.total ? done / counts.total : 0} label={`Progress of batch ${batch.id}`} /></td>
      <td class="num" data-testid="batch-counts">{counts.completed ?? 0} ok · {counts.failed ?? 0} failed · {counts.total ?? 0} total</td>
      <td>{formatTime(batch.created_at)}</td>
      <td class="actions">
        <Download fileId={batch.output_file_id} label="Output" name={`${batch.id}-output.jsonl`} />
        <Download fileId={batch.error_file_id} label="Errors" name={`${batch.id}-errors.jsonl`} />
        {!FINISHED.has(batch.status) && batch.status !== 'cancelling' && (
          <button type="button" class="small" onClick={cancel} aria-label={`Cancel batch ${batch.id}`}>Cancel</button>
        )}
        {batch.errors?.data?.length > 0 && (
          <span class="error">{batch.errors.data.map((e) => `${e.line ? `line ${e.line}: ` : ''}${e.message}`).join('; ')}</span>
        )}
        <ErrorNote error={error} />
      </td>
    </tr>
  );
}

export function Batches() {
  const { data, error, reload } = useLoad(async () => listOf(await api('GET', '/v1/batches?limit=50'), 'data'), [], 3000);
  return (
    <>
      <h1>Batches</h1>
      <p class="hint">Each line of the file is <code>{'{"custom_id", "method", "url", "body"}'}</code>, as in OpenAI's Batch API.</p>
      <CreateBatch onCreated={reload} />
      <ErrorNote error={error} />
      {data && data.length === 0 && <p>No batches yet.</p>}
      {data && data.length > 0 && (
        <div class="table-wrap">
          <table data-testid="batches">
            <thead>
              <tr><th>Batch</th><th>Endpoint</th><th>Status</th><th>Progress</th><th class="num">Requests</th><th>Created</th><th>Files</th></tr>
            </thead>
            <tbody>{data.map((b) => <BatchRow batch={b} onChange={reload} />)}</tbody>
          </table>
        </div>
      )}
    </>
  );
}
