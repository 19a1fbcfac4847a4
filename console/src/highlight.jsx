// Marks a query's terms in a text. The server stems its keyword index (Snowball), so a term
// matches any word that shares its stem-like prefix: "indexing" marks "indexes" and "index".
const STOP = new Set(
  'a an and are as at be but by for from has have how in into is it its of on or that the their this to was what when where which who why will with'.split(' '),
);

function stem(word) {
  const w = word.toLowerCase();
  for (const suffix of ['ational', 'ization', 'ingly', 'ments', 'ment', 'ness', 'ing', 'ies', 'ied', 'ed', 'es', 'ly', 's'])
    if (w.length - suffix.length >= 3 && w.endsWith(suffix)) return w.slice(0, -suffix.length);
  return w;
}

/** The distinct stems of a query's words, stop words left out. */
export function queryTerms(query, extra = []) {
  const words = (query.match(/[\p{L}\p{N}]+/gu) || []).filter((w) => w.length > 1 && !STOP.has(w.toLowerCase()));
  return [...new Set([...words, ...extra].map(stem))];
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `text` with the words starting with one of `terms` wrapped in <mark>. */
export function Highlight({ text, terms }) {
  if (!text) return null;
  if (!terms.length) return <>{text}</>;
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])((?:${terms.map(escape).join('|')})[\\p{L}\\p{N}]*)`, 'giu');
  const pieces = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    pieces.push(text.slice(last, match.index), <mark>{match[0]}</mark>);
    last = match.index + match[0].length;
  }
  pieces.push(text.slice(last));
  return <>{pieces}</>;
}
