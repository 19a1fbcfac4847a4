// The console's shell: the API key field, the navigation and a hash router (#/datasets/3):
// the server serves one page, and a reload keeps the place.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { apiKey } from './api.js';
import { Overview } from './pages/overview.jsx';
import { Datasets } from './pages/datasets.jsx';
import { Search } from './pages/search.jsx';
import { Chat } from './pages/chat.jsx';
import { Jobs } from './pages/jobs.jsx';
import { Batches } from './pages/batches.jsx';
import './style.css';

const PAGES = [
  ['overview', 'Overview', Overview],
  ['datasets', 'Datasets', Datasets],
  ['search', 'Search', Search],
  ['chat', 'Chat', Chat],
  ['jobs', 'Jobs', Jobs],
  ['batches', 'Batches', Batches],
];

function parseHash() {
  const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] || 'overview', parts: parts.slice(1), params: new URLSearchParams(query) };
}

function KeyField({ onChange }) {
  const [value, setValue] = useState(apiKey.get());
  const [saved, setSaved] = useState(apiKey.get() !== '');
  const save = (e) => {
    e.preventDefault();
    apiKey.set(value.trim());
    setSaved(value.trim() !== '');
    onChange();
  };
  return (
    <form class="key" onSubmit={save}>
      <label for="api-key">API key</label>
      <input id="api-key" type="password" autocomplete="off" value={value} placeholder="none"
             onInput={(e) => setValue(e.currentTarget.value)} />
      <button type="submit">{saved && value ? 'Update' : 'Use key'}</button>
      {saved && (
        <button type="button" onClick={() => { setValue(''); apiKey.set(''); setSaved(false); onChange(); }}>
          Forget
        </button>
      )}
    </form>
  );
}

function App() {
  const [route, setRoute] = useState(parseHash());
  // Changing the key remounts the page so that everything reloads with it.
  const [keyVersion, setKeyVersion] = useState(0);
  useEffect(() => {
    const onHash = () => setRoute(parseHash());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const current = PAGES.find(([id]) => id === route.page) || PAGES[0];
  const Page = current[2];
  useEffect(() => {
    document.title = `${current[1]} · Sluice console`;
  }, [current]);
  return (
    <>
      <header>
        <a class="brand" href="#/overview">Sluice</a>
        <nav aria-label="Console pages">
          {PAGES.map(([id, title]) => (
            <a href={`#/${id}`} aria-current={id === current[0] ? 'page' : undefined}>
              {title}
            </a>
          ))}
        </nav>
        <KeyField onChange={() => setKeyVersion((v) => v + 1)} />
      </header>
      <main id="main" key={`${current[0]}:${keyVersion}`}>
        <Page parts={route.parts} params={route.params} />
      </main>
    </>
  );
}

render(<App />, document.getElementById('app'));
