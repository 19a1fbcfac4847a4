// Health, readiness per dependency, and live charts drawn from /metrics.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, fetchText, ApiError } from '../api.js';
import { derive, parseMetrics } from '../metrics.js';
import { Chart, ErrorNote, formatNumber, formatSeconds, useLoad } from '../components.jsx';

const SCRAPE_MS = 2000;
const WINDOW = 90;  // points kept: three minutes

async function readiness() {
  const health = await api('GET', '/health').catch((error) => ({ status: 'down', error: error.message }));
  let ready;
  try {
    ready = await api('GET', '/ready');
  } catch (error) {
    // 503 carries the same body: show which dependency is down.
    ready = { status: error instanceof ApiError && error.status === 503 ? 'not_ready' : 'unknown', error: error.message };
  }
  return { health, ready };
}

function Readiness() {
  const { data, error } = useLoad(readiness, [], 5000);
  if (!data) return <ErrorNote error={error} />;
  const checks = Object.entries(data.ready.checks ?? {});
  return (
    <section aria-labelledby="health-title">
      <h2 id="health-title">Health</h2>
      <ul class="cards">
        <li class={`card ${data.health.status === 'ok' ? 'ok' : 'bad'}`}>
          <span class="card-label">Server</span>
          <strong data-testid="health-status">{data.health.status}</strong>
        </li>
        <li class={`card ${data.ready.status === 'ready' ? 'ok' : 'bad'}`}>
          <span class="card-label">Readiness</span>
          <strong data-testid="ready-status">{data.ready.status}</strong>
        </li>
        {checks.map(([name, check]) => (
          <li class={`card ${check.status === 'ok' ? 'ok' : 'bad'}`}>
            <span class="card-label">{name[0].toUpperCase() + name.slice(1).replace(/_/g, ' ')}</span>
            <strong>{check.status}</strong>
            <small>{Object.entries(check).filter(([k]) => k !== 'status').map(([k, v]) => `${k}: ${v}`).join(', ')}</small>
          </li>
        ))}
      </ul>
      {data.ready.error && data.ready.status !== 'not_ready' && <ErrorNote error={{ message: data.ready.error }} />}
    </section>
  );
}

/** Scrapes /metrics every SCRAPE_MS and keeps a window of derived points. */
function useMetricSeries() {
  const [points, setPoints] = useState([]);
  const [error, setError] = useState(null);
  const last = useRef(null);
  useEffect(() => {
    let stopped = false;
    const scrape = async () => {
      try {
        const samples = parseMetrics(await fetchText('/metrics'));
        const now = Date.now() / 1000;
        if (last.current && !stopped) {
          const point = { t: now, ...derive(last.current.samples, samples, now - last.current.t) };
          setPoints((old) => [...old.slice(-WINDOW + 1), point]);
        }
        last.current = { t: now, samples };
        setError(null);
      } catch (e) {
        if (!stopped) setError(e);
      }
    };
    scrape();
    const timer = setInterval(scrape, SCRAPE_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  return { points, error };
}

function perRoute(points, field) {
  const routes = [...new Set(points.flatMap((p) => Object.keys(p[field])))].sort();
  return { routes, data: [points.map((p) => p.t), ...routes.map((r) => points.map((p) => p[field][r] ?? null))] };
}

export function Overview() {
  const { points, error } = useMetricSeries();
  const times = points.map((p) => p.t);
  const latest = points[points.length - 1];
  const inFlight = perRoute(points, 'inFlight');
  const queued = perRoute(points, 'queued');
  const hasTokens = points.some((p) => p.tokensPerSecond != null);
  return (
    <>
      <h1>Overview</h1>
      <Readiness />
      <section aria-labelledby="traffic-title">
        <h2 id="traffic-title">Traffic</h2>
        <p class="hint">From <code>/metrics</code> every {SCRAPE_MS / 1000} s (the console's own scrapes and event streams left out).</p>
        <ErrorNote error={error} />
        {latest && (
          <ul class="cards" data-testid="traffic-now">
            <li class="card"><span class="card-label">Requests/s</span><strong>{formatNumber(latest.requestsPerSecond)}</strong></li>
            <li class="card"><span class="card-label">p50</span><strong>{formatSeconds(latest.p50)}</strong></li>
            <li class="card"><span class="card-label">p99</span><strong>{formatSeconds(latest.p99)}</strong></li>
            <li class="card"><span class="card-label">Mean batch</span><strong>{formatNumber(latest.batchSize)}</strong></li>
            {Object.entries(latest.jobs).map(([state, n]) => (
              <li class="card"><span class="card-label">Jobs {state}</span><strong>{n}</strong></li>
            ))}
          </ul>
        )}
        {points.length === 0 && !error && <p>Collecting the first two scrapes…</p>}
        {points.length > 0 && (
          <div class="charts">
            <Chart title="Requests per second" series={['requests/s']} data={[times, points.map((p) => p.requestsPerSecond)]} />
            <Chart title="Latency (ms)" series={['p50', 'p99']}
                   data={[times, ...['p50', 'p99'].map((q) => points.map((p) => (p[q] == null ? null : p[q] * 1000)))]} />
            <Chart title="In flight per model route" series={inFlight.routes} data={inFlight.data} />
            <Chart title="Queued per model route" series={queued.routes} data={queued.data} />
            <Chart title="Embedding batch size (mean)" series={['texts per batch']} data={[times, points.map((p) => p.batchSize)]} />
            {hasTokens && (
              <Chart title="Generated tokens per second" series={['tokens/s']} data={[times, points.map((p) => p.tokensPerSecond)]} />
            )}
          </div>
        )}
      </section>
    </>
  );
}
