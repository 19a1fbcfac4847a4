// Search playground: one dataset, keyword / vector / hybrid, ranked chunks with scores.
import { useState } from 'preact/hooks';
import { api, listOf } from '../api.js';
import { ErrorNote, useLoad } from '../components.jsx';
import { Highlight, queryTerms } from '../highlight.jsx';
import { listDatasets } from './datasets.jsx';

export function DatasetPicker({ id, value, onChange, datasets }) {
  return (
    <label>
      Dataset
      <select id={id} aria-label="Dataset" value={value} onChange={(e) => onChange(e.currentTarget.value)} required>
        <option value="" disabled>Choose a dataset</option>
        {datasets.map((d) => <option value={String(d.id)}>{d.name || `dataset ${d.id}`} ({d.id})</option>)}
      </select>
    </label>
  );
}

export function Search({ params }) {
  const { data: datasets, error: listError } = useLoad(listDatasets, []);
  const [dataset, setDataset] = useState(params.get('dataset') || '');
  const [query, setQuery] = useState('');
  const [mode, setMode] = useState('hybrid');
  const [k, setK] = useState(10);
  const [group, setGroup] = useState(false);
  const [answer, setAnswer] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const chosen = dataset || (datasets?.length ? String(datasets[0].id) : '');
  const submit = async (e) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    const started = performance.now();
    try {
      const body = await api('POST', `/datasets/${encodeURIComponent(chosen)}/search`,
                             { query, k: Number(k), mode, group_by_document: group });
      setAnswer({ query, mode, results: listOf(body, 'results'), ms: performance.now() - started });
    } catch (err) {
      setError(err);
      setAnswer(null);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h1>Search</h1>
      <ErrorNote error={listError} />
      <form class="search-form" onSubmit={submit} aria-label="Search a dataset">
        <DatasetPicker id="search-dataset" value={chosen} onChange={setDataset} datasets={datasets || []} />
        <label class="grow">
          Query <input type="search" name="query" required value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
        </label>
        <fieldset class="modes">
          <legend>Mode</legend>
          {['hybrid', 'keyword', 'vector'].map((m) => (
            <label><input type="radio" name="mode" value={m} checked={mode === m} onChange={() => setMode(m)} /> {m}</label>
          ))}
        </fieldset>
        <label>k <input type="number" name="k" min="1" max="100" value={k} onInput={(e) => setK(e.currentTarget.value)} /></label>
        <label><input type="checkbox" checked={group} onChange={(e) => setGroup(e.currentTarget.checked)} /> Best chunk per document</label>
        <button type="submit" disabled={busy || !chosen}>Search</button>
      </form>
      <ErrorNote error={error} />
      {answer && <Results datasetId={chosen} {...answer} />}
    </>
  );
}

function Results({ datasetId, query, mode, results, ms }) {
  if (!results.length) return <p>No results for “{query}”.</p>;
  return (
    <section aria-labelledby="results-title">
      <h2 id="results-title">{results.length} results <small>in {ms.toFixed(0)} ms (round trip)</small></h2>
      <ol class="results" data-testid="results" data-mode={mode}>
        {results.map((r) => {
          const terms = queryTerms(query, Array.isArray(r.matched_terms) ? r.matched_terms : []);
          const link = `#/datasets/${datasetId}/documents/${encodeURIComponent(r.document_id)}?q=${encodeURIComponent(query)}`;
          return (
            <li class="result">
              <div class="result-head">
                <a href={link} class="result-title" data-testid="result-document">{r.title || r.document_id}</a>
                <span class="score" title="score">{typeof r.score === 'number' ? r.score.toFixed(4) : r.score}</span>
              </div>
              <div class="result-meta">document <code>{r.document_id}</code> · chunk <code>{r.chunk_id}</code></div>
              <p class="result-text"><Highlight text={r.text} terms={terms} /></p>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
