// Reads the server's Prometheus text (/metrics) and derives the Overview's figures from two
// successive scrapes: counters become rates, histogram buckets become quantiles (as PromQL's
// histogram_quantile does, by linear interpolation inside the bucket).

/** Parses exposition text into [{name, labels, value}]. */
export function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!match) continue;
    const labels = {};
    if (match[2]) for (const [, k, v] of match[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v.replace(/\\(.)/g, '$1');
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

const sum = (samples, name, keep = () => true) =>
  samples.filter((s) => s.name === name && keep(s.labels)).reduce((total, s) => total + s.value, 0);

/** Values of `name` grouped by one label. */
export function byLabel(samples, name, label) {
  const out = {};
  for (const s of samples) if (s.name === name) out[s.labels[label] ?? ''] = (out[s.labels[label] ?? ''] ?? 0) + s.value;
  return out;
}

/** Cumulative bucket counts of a histogram summed over the series `keep` accepts: [[le, count]]. */
function buckets(samples, name, keep) {
  const totals = new Map();
  for (const s of samples)
    if (s.name === `${name}_bucket` && keep(s.labels)) {
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      totals.set(le, (totals.get(le) ?? 0) + s.value);
    }
  return [...totals].sort((a, b) => a[0] - b[0]);
}

/** The q-quantile of the observations between two scrapes, or null when there were none. */
export function quantile(q, before, after, name, keep = () => true) {
  const old = new Map(buckets(before, name, keep));
  const delta = buckets(after, name, keep).map(([le, count]) => [le, count - (old.get(le) ?? 0)]);
  const total = delta.length ? delta[delta.length - 1][1] : 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, count] of delta) {
    if (count >= rank) {
      if (le === Infinity) return lower;  // past the last finite bound: report that bound
      return lower + ((le - lower) * (rank - below)) / Math.max(count - below, 1e-12);
    }
    lower = le;
    below = count;
  }
  return lower;
}

/** Per-second rate of a counter (summed over matching series) between two scrapes. */
export function rate(before, after, seconds, name, keep) {
  if (seconds <= 0) return 0;
  return Math.max(0, sum(after, name, keep) - sum(before, name, keep)) / seconds;
}

/** Mean of a histogram's observations between two scrapes (sum / count deltas), or null. */
export function mean(before, after, name, keep) {
  const count = sum(after, `${name}_count`, keep) - sum(before, `${name}_count`, keep);
  if (count <= 0) return null;
  return (sum(after, `${name}_sum`, keep) - sum(before, `${name}_sum`, keep)) / count;
}

// The console's own scrapes and long-lived streams would swamp a quiet server's figures.
const NOT_TRAFFIC = new Set(['/metrics', '/jobs/{job_id}/events']);
export const isTraffic = (labels) => !NOT_TRAFFIC.has(labels.route) && !String(labels.route).startsWith('/console');

/** Generated-token counters of local models (issue 13), by whatever name they carry. */
export const isTokenCounter = (name) => /generat\w*_tokens_total$|completion_tokens_total$/.test(name);

/** One point of every Overview chart, from two scrapes `seconds` apart. */
export function derive(before, after, seconds) {
  const tokenNames = [...new Set(after.map((s) => s.name).filter(isTokenCounter))];
  return {
    requestsPerSecond: rate(before, after, seconds, 'sluice_http_requests_total', isTraffic),
    p50: quantile(0.5, before, after, 'sluice_http_request_duration_seconds', isTraffic),
    p99: quantile(0.99, before, after, 'sluice_http_request_duration_seconds', isTraffic),
    inFlight: byLabel(after, 'sluice_admission_in_flight', 'route'),
    queued: byLabel(after, 'sluice_admission_queue_depth', 'route'),
    batchSize: mean(before, after, 'sluice_ai_batch_size', () => true),
    tokensPerSecond: tokenNames.length
      ? tokenNames.reduce((t, name) => t + rate(before, after, seconds, name, () => true), 0)
      : null,
    jobs: byLabel(after, 'sluice_jobs', 'state'),
  };
}
