'use strict';
// Live enable/disable on a running host: latency of the admin POST when idle, failed requests on
// another plugin's route and on /api/health during cycles under load, and memory growth over many
// cycles. Optionally the import of a 5 MB plugin zip.
const { join } = require('node:path');
const { request } = require('./http-client');
const { measureImport } = require('./import-phase');
const { startLoad } = require('./load');
const { rssMb, stopServer } = require('./processes');
const { boot, authHeaders } = require('./servers');
const { median, sleep } = require('./stats');

async function toggle(url, id, enabled) {
  const res = await request('POST', `${url}/api/admin/plugins/${id}/enabled`, { headers: authHeaders, body: { enabled, acceptRisk: true }, timeoutMs: 120_000 });
  if (res.status !== 200) throw new Error(`${enabled ? 'Enabling' : 'Disabling'} ${id} answered ${res.status}: ${res.body.slice(0, 500)}`);
  return res.ms;
}

async function cycles(url, id, count) {
  const enableMs = [];
  const disableMs = [];
  for (let i = 0; i < count; i++) {
    disableMs.push(await toggle(url, id, false));
    enableMs.push(await toggle(url, id, true));
  }
  return { enableMs, disableMs };
}

async function measureLifecycle(sc, opts, log) {
  const target = sc.plugins[sc.n - 1].id;
  const other = sc.plugins[0].id;
  const result = { n: sc.n, plugin: target };
  const host = await boot('appnest', sc, sc.probePath);
  try {
    const quiet = await cycles(host.url, target, opts.runs);
    result.enableMs = median(quiet.enableMs);
    result.disableMs = median(quiet.disableMs);
    result.samples = quiet;
    log(`  enable/disable N=${sc.n}: enable ${result.enableMs.toFixed(0)} ms, disable ${result.disableMs.toFixed(0)} ms (median of ${opts.runs})`);

    const pluginLoad = startLoad(`${host.url}/api/plugins/${other}/ping`, { connections: opts.connections });
    const healthLoad = startLoad(`${host.url}/api/health`, { connections: opts.connections });
    await sleep(1000);
    let loaded;
    let stopped;
    try {
      loaded = await cycles(host.url, target, opts.loadedCycles);
      await sleep(1000);
    } finally {
      stopped = await Promise.all([pluginLoad.stop(), healthLoad.stop()]);
    }
    const [pluginRoute, health] = stopped;
    result.underLoad = {
      cycles: opts.loadedCycles,
      enableMs: median(loaded.enableMs),
      disableMs: median(loaded.disableMs),
      pluginRoute: { route: `/api/plugins/${other}/ping`, total: pluginRoute.total, failed: pluginRoute.failed, non2xx: pluginRoute.non2xx, errors: pluginRoute.errors },
      health: { route: '/api/health', total: health.total, failed: health.failed, non2xx: health.non2xx, errors: health.errors },
    };
    result.failedUnderLoad = pluginRoute.failed + health.failed;
    log(
      `  ${opts.loadedCycles} cycles under load: ${result.failedUnderLoad} failed of ${pluginRoute.total + health.total} requests; enable ${result.underLoad.enableMs.toFixed(0)} ms, disable ${result.underLoad.disableMs.toFixed(0)} ms`,
    );

    if (sc.n === opts.importN) result.import = await measureImport(host, sc, opts, log);
  } finally {
    await stopServer(host);
  }
  if (sc.n === opts.memoryN) result.memory = await measureGrowth(sc, result.plugin, opts.memoryCycles, log);
  return result;
}

/** Live memory of the host: asks bench/gc-probe.js (preloaded) to collect garbage and report. */
async function liveMemory(host) {
  host.output = '';
  host.child.kill('SIGUSR2');
  for (let i = 0; i < 200; i++) {
    await sleep(25);
    const line = /bench-memory (\{.*\})\n/.exec(host.output);
    if (line) return { rss: rssMb(host.pid), heapUsed: JSON.parse(line[1]).heapUsed / 2 ** 20 };
  }
  throw new Error('the host did not answer the memory probe (SIGUSR2) within 5 s');
}

/**
 * Memory over `count` enable/disable cycles on a freshly booted host, measured after forced
 * garbage collections: a few cycles first (so one-time allocations are not counted), then a point
 * every tenth of the way.
 */
async function measureGrowth(sc, id, count, log) {
  const host = await boot('appnest', sc, sc.probePath, { nodeArgs: ['--expose-gc', '-r', join(__dirname, 'gc-probe.js')] });
  try {
    await cycles(host.url, id, Math.min(5, count));
    await sleep(1000);
    const before = await liveMemory(host);
    const trend = [{ cycle: 0, ...before }];
    const step = Math.max(1, Math.round(count / 10));
    for (let done = 0; done < count;) {
      const batch = Math.min(step, count - done);
      await cycles(host.url, id, batch);
      done += batch;
      // Retired generations close once their requests finish; give them a moment.
      await sleep(done === count ? 2000 : 300);
      trend.push({ cycle: done, ...(await liveMemory(host)) });
    }
    const after = trend[trend.length - 1];
    const result = {
      cycles: count,
      before: before.rss,
      after: after.rss,
      growth: after.rss - before.rss,
      heapBefore: before.heapUsed,
      heapAfter: after.heapUsed,
      heapGrowth: after.heapUsed - before.heapUsed,
      trend,
    };
    log(
      `  memory over ${count} cycles (after GC): RSS ${before.rss.toFixed(0)} -> ${after.rss.toFixed(0)} MB (${signed(result.growth)} MB), heap ${before.heapUsed.toFixed(0)} -> ${after.heapUsed.toFixed(0)} MB (${signed(result.heapGrowth)} MB)`,
    );
    return result;
  } finally {
    await stopServer(host);
  }
}

const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;

module.exports = { measureLifecycle };
