// Small pieces shared by the pages.
import { useEffect, useRef, useState, useCallback } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** An error sentence, announced to screen readers. */
export function ErrorNote({ error }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error.message || String(error)}
    </p>
  );
}

/** A labelled progress bar (0..1). */
export function Progress({ value, label }) {
  const percent = Math.round((value ?? 0) * 100);
  return (
    <span class="progress">
      <progress max="100" value={percent} aria-label={label}>
        {percent}%
      </progress>
      <span class="progress-text">{percent}%</span>
    </span>
  );
}

/**
 * Runs `load` now and whenever `deps` change (and every `everyMs` if given); returns
 * {data, error, loading, reload}. A newer call's answer always wins.
 */
export function useLoad(load, deps, everyMs = 0) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const generation = useRef(0);
  const reload = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const data = await load();
      if (mine === generation.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (mine === generation.current) setState((s) => ({ ...s, error, loading: false }));
    }
  }, deps);
  useEffect(() => {
    reload();
    if (!everyMs) return undefined;
    const timer = setInterval(reload, everyMs);
    return () => clearInterval(timer);
  }, [reload, everyMs]);
  return { ...state, reload };
}

const PALETTE = ['#2b6cb0', '#c05621', '#2f855a', '#6b46c1', '#b83280', '#2c7a7b', '#975a16', '#4a5568'];

/**
 * A time-series chart. `series`: labels; `data`: [times, ...values] as uPlot wants them.
 * Sized to its container, redrawn in place on new data.
 */
export function Chart({ title, series, data }) {
  const box = useRef(null);
  const plot = useRef(null);
  const key = series.join('|');
  useEffect(() => {
    const element = box.current;  // Preact clears the ref before the cleanup runs
    const width = () => Math.max(200, element.clientWidth);
    plot.current = new uPlot(
      {
        width: width(),
        height: 160,
        legend: { live: false },
        // At least the last minute on the time axis, ending at the last point: for a single
        // point uPlot widens the range to 86,400 / ms units, which with seconds is ~3 years.
        scales: {
          x: {
            time: true,
            range: (u, min, max) => {
              const times = u.data[0];
              const last = times && times.length ? times[times.length - 1] : max;
              return Number.isFinite(last) ? [Math.min(min, last - 60), last] : [min, max];
            },
          },
          y: { range: (u, min, max) => [0, Number.isFinite(max) && max > 0 ? max * 1.1 : 1] },
        },
        axes: [{}, { values: (u, ticks) => ticks.map(formatNumber), size: 60 }],
        series: [{}, ...series.map((label, i) => ({ label, stroke: PALETTE[i % PALETTE.length], width: 1.5, spanGaps: true }))],
      },
      data,
      element,
    );
    const chart = plot.current;
    const observer = new ResizeObserver(() => chart.setSize({ width: width(), height: 160 }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
  }, [key]);
  useEffect(() => plot.current?.setData(data), [data]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} role="img" aria-label={`${title}: ${series.join(', ')}`} />
    </figure>
  );
}

export function formatNumber(n) {
  if (n == null || Number.isNaN(n)) return '–';
  const abs = Math.abs(n);
  if (abs >= 1e6) return (n / 1e6).toFixed(1) + 'M';
  if (abs >= 1e3) return (n / 1e3).toFixed(1) + 'k';
  if (abs >= 100 || abs === 0) return n.toFixed(0);
  if (abs >= 1) return n.toFixed(1);
  return n.toPrecision(2);
}

export function formatSeconds(s) {
  if (s == null) return '–';
  return s < 1 ? `${(s * 1000).toPrecision(3)} ms` : `${s.toFixed(2)} s`;
}

export function formatTime(value) {
  if (!value) return '–';
  // Jobs carry milliseconds, OpenAI objects seconds.
  const date = new Date(value < 1e12 ? value * 1000 : value);
  return date.toDateString() === new Date().toDateString() ? date.toLocaleTimeString() : date.toLocaleString();
}

/** Short form of a long id, with the whole id in a tooltip. */
export function ShortId({ id }) {
  if (!id) return '–';
  const text = String(id);
  return <code title={text}>{text.length > 14 ? `${text.slice(0, 12)}…` : text}</code>;
}
