'use strict';
// HTTP load with autocannon, run in the bench process (never in a server's).
const autocannon = require('autocannon');

/**
 * Records each 2xx answer's latency as autocannon measures it (process.hrtime, fractional ms).
 * autocannon's own histogram keeps whole milliseconds: at a p99 of 5-7 ms one step is 15-20 %,
 * more than the 10 % the p99 target allows, so the bench takes its percentiles from here.
 */
function recordLatencies(instance) {
  const times = [];
  instance.on('response', (_client, statusCode, _bytes, ms) => {
    if (statusCode >= 200 && statusCode <= 299) times.push(ms);
  });
  return () => Float64Array.from(times).sort();
}

/** Nearest-rank percentile of sorted values, or null when there are none. */
function percentile(sorted, fraction) {
  return sorted.length ? sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)] : null;
}

function summarise(result, sortedLatencies) {
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]));
  return {
    statusCodes,
    rps: result.requests.average,
    p99: sortedLatencies ? percentile(sortedLatencies, 0.99) : result.latency.p99,
    total: result.requests.total,
    // Requests sent but never answered: beyond the one in flight per connection at the end, a stall.
    unanswered: Math.max(0, result.requests.sent - result.requests.total - result.connections),
    // autocannon counts a timeout in `errors` too.
    failed: result.non2xx + result.errors,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/** Loads `url` for `seconds` with `connections` connections; resolves a summary with a sub-millisecond p99. */
function load(url, { seconds, connections = 10 }) {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, connections, duration: seconds }, (err, result) => (err ? reject(err) : resolve(summarise(result, latencies()))));
    const latencies = recordLatencies(instance);
  });
}

/**
 * Starts open-ended load on `url`; `answered` counts the 2xx answers so far (read it at any moment
 * to take a window of the load), `stop()` resolves the summary (failures count, not latency).
 */
function startLoad(url, { connections = 10 } = {}) {
  const instance = autocannon({ url, connections, duration: 3600 });
  const counts = { answered: 0 };
  instance.on('response', (_client, statusCode) => {
    if (statusCode >= 200 && statusCode <= 299) counts.answered++;
  });
  const done = new Promise((resolve, reject) => {
    instance.on('done', (result) => resolve(summarise(result)));
    instance.on('error', reject);
  });
  return {
    get answered() {
      return counts.answered;
    },
    stop() {
      instance.stop();
      return done;
    },
  };
}

module.exports = { load, startLoad };
