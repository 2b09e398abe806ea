'use strict';
// Throughput and p99 of the same plugin routes in appnest and in the static app, resident memory
// after boot and after about a minute of load, and asset serving against express.static.
// Both servers stay up; runs alternate between them so drift hits both alike.
const { request } = require('./http-client');
const { load } = require('./load');
const { cpuMs, rssMb, stopServer } = require('./processes');
const { boot } = require('./servers');
const { median } = require('./stats');

const NOT_AVAILABLE = 'n/a (asset endpoint not available)';

/**
 * Alternating load runs; with `pids`, each sample also has the server's CPU time per answered
 * request (µs), which a busy machine disturbs far less than the rate does.
 */
async function alternate(urls, runs, seconds, connections, pids) {
  const samples = { appnest: [], static: [] };
  const firstFailure = {};
  const measure = async (side) => {
    const cpuBefore = pids && cpuMs(pids[side]);
    const sample = await load(urls[side], { seconds, connections });
    if (pids) sample.cpuUs = ((cpuMs(pids[side]) - cpuBefore) * 1000) / Math.max(1, sample.total);
    // Keep what a failing answer looked like, once per side.
    if (sample.failed && !firstFailure[side])
      firstFailure[side] = await request('GET', urls[side], { timeoutMs: 5000 }).then(
        (r) => ({ status: r.status, body: r.body.slice(0, 300) }),
        (e) => ({ error: e.message }),
      );
    samples[side].push(sample);
  };
  for (let run = 0; run < runs; run++) {
    const order = run % 2 ? ['static', 'appnest'] : ['appnest', 'static'];
    for (const side of order) await measure(side);
  }
  const summary = {};
  for (const side of ['appnest', 'static']) {
    const s = samples[side];
    const sum = (key) => s.reduce((a, x) => a + x[key], 0);
    summary[side] = {
      rps: median(s.map((x) => x.rps)),
      p99: median(s.map((x) => x.p99)),
      ...(pids ? { cpuUs: median(s.map((x) => x.cpuUs)) } : {}),
      failed: sum('failed'),
      unanswered: sum('unanswered'),
      firstFailure: firstFailure[side],
      samples: s.map((x) => ({ rps: x.rps, p99: x.p99, ...(pids ? { cpuUs: x.cpuUs } : {}), ...(x.failed ? { failed: x.failed, statusCodes: x.statusCodes } : {}) })),
    };
  }
  return summary;
}

async function measureLoad(sc, opts, log) {
  const appnest = await boot('appnest', sc, sc.probePath);
  let staticApp;
  try {
    staticApp = await boot('static', sc, sc.probePath);
    const plugin = sc.plugins[Math.floor(sc.n / 2)];
    const result = { n: sc.n, plugin: plugin.id, runs: opts.loadRuns, secondsPerRun: opts.loadSeconds, connections: opts.connections };
    result.rssBoot = { appnest: appnest.bootRss, static: staticApp.bootRss };
    const routes = { ping: `/api/plugins/${plugin.id}/ping`, items: `/api/plugins/${plugin.id}/items` };
    for (const [name, path] of Object.entries(routes)) {
      // Warm-up (JIT, pools) for both sides, not counted.
      if (opts.warmupSeconds > 0) await alternate({ appnest: appnest.url + path, static: staticApp.url + path }, 1, opts.warmupSeconds, opts.connections);
      result[name] = await alternate({ appnest: appnest.url + path, static: staticApp.url + path }, opts.loadRuns, opts.loadSeconds, opts.connections, { appnest: appnest.pid, static: staticApp.pid });
      const side = (x) => `${x.rps.toFixed(0)} req/s p99 ${x.p99?.toFixed(2)} ms, ${x.cpuUs.toFixed(0)} µs CPU a request`;
      log(`  load ${name}: appnest ${side(result[name].appnest)}; static ${side(result[name].static)}`);
    }
    result.rssAfterLoad = { appnest: rssMb(appnest.pid), static: rssMb(staticApp.pid) };
    result.loadSecondsEach = 2 * (opts.warmupSeconds + opts.loadRuns * opts.loadSeconds);
    log(
      `  RSS after boot ${result.rssBoot.appnest.toFixed(0)} / ${result.rssBoot.static.toFixed(0)} MB, after ${result.loadSecondsEach} s of load ${result.rssAfterLoad.appnest.toFixed(0)} / ${result.rssAfterLoad.static.toFixed(0)} MB (appnest / static)`,
    );
    result.assets = await measureAssets(appnest, staticApp, plugin, opts, log);
    // A server that died under load is a finding in itself: keep why.
    const crashed = [appnest, staticApp].filter((s) => s.unexpectedExit).map((s) => s.unexpectedExit);
    if (crashed.length) result.crashes = crashed;
    return result;
  } finally {
    await Promise.all([stopServer(appnest), staticApp && stopServer(staticApp)]);
  }
}

async function measureAssets(appnest, staticApp, plugin, opts, log) {
  const urls = { appnest: `${appnest.url}/api/plugins/assets/${plugin.id}/${plugin.asset}`, static: `${staticApp.url}/static-assets/${plugin.id}/frontend/${plugin.asset}` };
  const probe = await request('GET', urls.appnest);
  if (probe.status === 404) {
    log(`  assets: ${NOT_AVAILABLE}`);
    return { available: false, note: NOT_AVAILABLE };
  }
  if (probe.status !== 200) return { available: false, note: `n/a (asset endpoint answered ${probe.status})` };
  const staticProbe = await request('GET', urls.static);
  if (staticProbe.status !== 200 || staticProbe.body !== probe.body) throw new Error(`express.static did not serve the same file (${staticProbe.status})`);
  if (opts.warmupSeconds > 0) await alternate(urls, 1, opts.warmupSeconds, opts.connections);
  const summary = await alternate(urls, opts.loadRuns, opts.assetSeconds, opts.connections);
  log(
    `  assets: appnest ${summary.appnest.rps.toFixed(0)} req/s, express.static ${summary.static.rps.toFixed(0)} req/s${summary.appnest.failed + summary.appnest.unanswered ? ` (appnest: ${summary.appnest.failed} failed, ${summary.appnest.unanswered} unanswered; first failure ${JSON.stringify(summary.appnest.firstFailure)})` : ''}`,
  );
  return { available: true, bytes: Buffer.byteLength(probe.body), ...summary };
}

module.exports = { measureLoad };
