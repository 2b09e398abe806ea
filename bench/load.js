'use strict';
// HTTP load with autocannon, run in the bench process (never in a server's).
const autocannon = require('autocannon');

function summarise(result) {
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]));
  return {
    statusCodes,
    rps: result.requests.average,
    p99: result.latency.p99,
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

/** Loads `url` for `seconds` with `connections` connections; resolves a summary. */
async function load(url, { seconds, connections = 10 }) {
  return summarise(await autocannon({ url, connections, duration: seconds }));
}

/** Starts open-ended load on `url`; `stop()` resolves the summary. */
function startLoad(url, { connections = 10 } = {}) {
  const instance = autocannon({ url, connections, duration: 3600 });
  const done = new Promise((resolve, reject) => {
    instance.on('done', (result) => resolve(summarise(result)));
    instance.on('error', reject);
  });
  return {
    stop() {
      instance.stop();
      return done;
    },
  };
}

module.exports = { load, startLoad };
