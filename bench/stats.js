'use strict';

function median(values) {
  const xs = values.filter((v) => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** Median of the run-by-run ratios a[i] / b[i]: pairs runs taken back to back, so slow drift of the machine cancels out. */
function pairedRatio(a, b) {
  const n = Math.min(a.length, b.length);
  return median(Array.from({ length: n }, (_, i) => (b[i] > 0 ? a[i] / b[i] : NaN)));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Rounds every number in a tree (for the JSON file). */
function rounded(value, digits = 1) {
  if (typeof value === 'number') return Number(value.toFixed(digits));
  if (Array.isArray(value)) return value.map((v) => rounded(v, digits));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rounded(v, digits)]));
  return value;
}

module.exports = { median, pairedRatio, sleep, rounded };
