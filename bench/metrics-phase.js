'use strict';
// What per-plugin metrics and the event-loop watchdog cost: the same plugin route served by two
// appnest hosts of the same scenario, one as configured by default (counting, watchdog on) and one
// with APPNEST_METRICS=0 and APPNEST_BLOCKED_LOOP_MS=0, loaded alternately.
const { alternate } = require('./load-phase');
const { stopServer } = require('./processes');
const { boot } = require('./servers');

async function measureMetricsCost(sc, opts, log) {
  const on = await boot('appnest', sc, sc.probePath);
  let off;
  try {
    off = await boot('appnest', sc, sc.probePath, { env: process.env.BENCH_METRICS_AA === '1' ? {} : { APPNEST_METRICS: '0', APPNEST_BLOCKED_LOOP_MS: '0' } });
    const plugin = sc.plugins[Math.floor(sc.n / 2)];
    const path = `/api/plugins/${plugin.id}/ping`;
    const urls = { appnest: on.url + path, static: off.url + path };
    if (opts.warmupSeconds > 0) await alternate(urls, 1, opts.warmupSeconds, opts.connections);
    const result = await alternate(urls, opts.loadRuns, opts.loadSeconds, opts.connections, { appnest: on.pid, static: off.pid });
    const side = (x) => `${x.rps.toFixed(0)} req/s, ${x.cpuUs.toFixed(0)} µs CPU a request`;
    log(`  metrics on: ${side(result.appnest)}; off: ${side(result.static)}`);
    return { n: sc.n, plugin: plugin.id, route: 'ping', on: result.appnest, off: result.static };
  } finally {
    await Promise.all([stopServer(on), off && stopServer(off)]);
  }
}

module.exports = { measureMetricsCost };
