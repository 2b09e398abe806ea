'use strict';
// What a setting costs: the same plugin route served by two appnest hosts of the same scenario,
// one with the setting on and one with it off, loaded alternately. Two settings are measured:
// per-plugin metrics with the event-loop watchdog (on by default; off is APPNEST_METRICS=0 and
// APPNEST_BLOCKED_LOOP_MS=0), and the async attribution scope (off by default; on is
// APPNEST_ASYNC_ATTRIBUTION=1). Done twice, the hosts
// booted in one order and then the other: the host booted first serves a few per cent slower here
// whatever its settings (BENCH_METRICS_AA=1, both sides alike, shows it), so each side is booted
// first once and the two rounds' medians are taken together.
// The two hosts are loaded at the same time, on one CPU where taskset is available (the load
// generator on the other): whatever slows the machine then slows both alike, each host gets the CPU
// about half the time, and serves as many requests in it as its cost per request allows. Loaded
// one after the other, samples strayed by more than the 3 % measured.
const { alternate } = require('./load-phase');
const { canPin, pinnedSelf, stopServer } = require('./processes');
const { boot } = require('./servers');
const { median } = require('./stats');

const AA = process.env.BENCH_METRICS_AA === '1';
/** The environment of each side, per setting. */
const SETTINGS = {
  metrics: { on: {}, off: AA ? {} : { APPNEST_METRICS: '0', APPNEST_BLOCKED_LOOP_MS: '0' } },
  asyncAttribution: { on: AA ? {} : { APPNEST_ASYNC_ATTRIBUTION: '1' }, off: {} },
};

const PINNED = canPin();
const SERVER_CPU = '1';
const LOAD_CPU = '0';

async function round(sc, opts, env, onFirst) {
  const hosts = {};
  try {
    const cpus = PINNED ? SERVER_CPU : undefined;
    for (const side of onFirst ? ['on', 'off'] : ['off', 'on']) hosts[side] = await boot('appnest', sc, sc.probePath, { env: env[side], cpus });
    const plugin = sc.plugins[Math.floor(sc.n / 2)];
    const path = `/api/plugins/${plugin.id}/ping`;
    const urls = { appnest: hosts.on.url + path, static: hosts.off.url + path };
    const measure = async () => {
      if (opts.warmupSeconds > 0) await alternate(urls, 1, opts.warmupSeconds, opts.connections, undefined, { together: true });
      return alternate(urls, opts.metricsRuns, opts.loadSeconds, opts.connections, { appnest: hosts.on.pid, static: hosts.off.pid }, { together: true });
    };
    return { plugin: plugin.id, ...(await (PINNED ? pinnedSelf(LOAD_CPU, measure) : measure())) };
  } finally {
    await Promise.all(Object.values(hosts).map((host) => stopServer(host)));
  }
}

/** Both rounds' samples of one side, summarised as alternate() does for one. */
function merged(a, b) {
  const samples = [...a.samples, ...b.samples];
  return {
    rps: median(samples.map((x) => x.rps)),
    p99: median(samples.map((x) => x.p99)),
    cpuUs: median(samples.map((x) => x.cpuUs)),
    failed: a.failed + b.failed,
    unanswered: a.unanswered + b.unanswered,
    firstFailure: a.firstFailure ?? b.firstFailure,
    samples,
  };
}

/** `setting`: a key of SETTINGS. */
async function measureSettingCost(sc, opts, setting, log) {
  const first = await round(sc, opts, SETTINGS[setting], true);
  const second = await round(sc, opts, SETTINGS[setting], false);
  const on = merged(first.appnest, second.appnest);
  const off = merged(first.static, second.static);
  const side = (x) => `${x.rps.toFixed(0)} req/s, ${x.cpuUs.toFixed(0)} µs CPU a request`;
  const where = PINNED ? `hosts on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU}` : 'not pinned to CPUs (no taskset or one CPU)';
  log(`  ${setting} on: ${side(on)}; off: ${side(off)} (each booted first once; ${where})`);
  return { n: sc.n, plugin: first.plugin, route: 'ping', pinned: PINNED, on, off };
}

module.exports = { measureSettingCost };
