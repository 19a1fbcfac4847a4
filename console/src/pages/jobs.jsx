// Jobs: list with filters (refreshed every two seconds), one job followed live through its event
// stream, cancel, and a failed job's error and attempts.
import { useState } from 'preact/hooks';
import { api, listOf } from '../api.js';
import { ErrorNote, Progress, ShortId, formatTime, useLoad } from '../components.jsx';
import { TERMINAL, useJobEvents } from '../jobs.js';

const STATES = ['queued', 'running', 'retrying', 'succeeded', 'failed', 'cancelled'];

function CancelButton({ job, onCancelled }) {
  const [error, setError] = useState(null);
  if (TERMINAL.has(job.state)) return null;
  const cancel = async () => {
    setError(null);
    try {
      await api('DELETE', `/jobs/${encodeURIComponent(job.id)}`);
      onCancelled?.();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <button type="button" class="small" onClick={cancel} disabled={job.cancel_requested}
              aria-label={`Cancel job ${job.id}`}>
        {job.cancel_requested ? 'Cancelling…' : 'Cancel'}
      </button>
      <ErrorNote error={error} />
    </>
  );
}

export function Jobs({ parts }) {
  const [state, setState] = useState('');
  const [type, setType] = useState('');
  const query = new URLSearchParams({ limit: '50' });
  if (state) query.set('state', state);
  if (type) query.set('type', type);
  const { data, error, reload } = useLoad(async () => listOf(await api('GET', `/jobs?${query}`), 'jobs'),
                                          [state, type], 2000);
  return (
    <>
      <h1>Jobs</h1>
      {parts[0] && <JobDetail id={parts[0]} onChange={reload} />}
      <form class="inline-form" aria-label="Filter jobs" onSubmit={(e) => e.preventDefault()}>
        <label>
          State
          <select aria-label="State" value={state} onChange={(e) => setState(e.currentTarget.value)}>
            <option value="">any</option>
            {STATES.map((s) => <option value={s}>{s}</option>)}
          </select>
        </label>
        <label>Type <input value={type} placeholder="e.g. build_embeddings" onChange={(e) => setType(e.currentTarget.value.trim())} /></label>
      </form>
      <ErrorNote error={error} />
      {data && data.length === 0 && <p>No jobs match.</p>}
      {data && data.length > 0 && (
        <div class="table-wrap">
          <table data-testid="jobs">
            <thead>
              <tr><th>Job</th><th>Type</th><th>State</th><th>Progress</th><th class="num">Attempts</th><th>Created</th>
                <th>Error</th><th><span class="visually-hidden">Actions</span></th></tr>
            </thead>
            <tbody>
              {data.map((job) => (
                <tr data-job={job.id}>
                  <td><a href={`#/jobs/${job.id}`}><ShortId id={job.id} /></a></td>
                  <td>{job.type}</td>
                  <td><span class={`state ${job.state}`}>{job.state}</span></td>
                  <td><Progress value={job.progress} label={`Progress of job ${job.id}`} /></td>
                  <td class="num">{job.attempts}/{job.max_attempts}</td>
                  <td>{formatTime(job.created_at)}</td>
                  <td class="error-cell">{job.last_error || ''}</td>
                  <td><CancelButton job={job} onCancelled={reload} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function JobDetail({ id, onChange }) {
  const { job, error } = useJobEvents(id, onChange);
  return (
    <section class="panel" aria-labelledby="job-title" data-testid="job-detail">
      <h2 id="job-title">Job <ShortId id={id} /> <a href="#/jobs" class="small">close</a></h2>
      <ErrorNote error={error} />
      {job && (
        <>
          <div class="job-progress" aria-live="polite">
            <Progress value={job.progress} label="Job progress" />
            <strong data-testid="job-state" class={`state ${job.state}`}>{job.state}</strong>
            {job.progress_message && <span> · {job.progress_message}</span>}
            <CancelButton job={job} onCancelled={onChange} />
          </div>
          <dl class="facts">
            <dt>Type</dt><dd>{job.type}</dd>
            <dt>Attempts</dt><dd>{job.attempts} of {job.max_attempts}</dd>
            {job.last_error && <><dt>Last error</dt><dd class="error" data-testid="job-error">{job.last_error}</dd></>}
            <dt>Created</dt><dd>{formatTime(job.created_at)}</dd>
            <dt>Started</dt><dd>{formatTime(job.started_at)}</dd>
            <dt>Finished</dt><dd>{formatTime(job.finished_at)}</dd>
            <dt>Payload</dt><dd><code>{JSON.stringify(job.payload)}</code></dd>
            {job.result != null && <><dt>Result</dt><dd><code>{JSON.stringify(job.result)}</code></dd></>}
          </dl>
        </>
      )}
    </section>
  );
}
