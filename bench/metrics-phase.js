'use strict';
// What a setting costs: the same plugin route served by two appnest hosts of the same scenario,
// one with the setting on and one with it off, loaded at the same time. Two settings are measured:
// per-plugin metrics with the event-loop watchdog (on by default; off is APPNEST_METRICS=0 and
// APPNEST_BLOCKED_LOOP_MS=0), and the async attribution scope (off by default; on is
// APPNEST_ASYNC_ATTRIBUTION=1).
// Two processes alike do not serve alike: the host booted first serves a few per cent slower here
// whatever its settings, and a pair of processes strays from the next pair by as much again
// (BENCH_METRICS_AA=1, both sides alike, shows both). So the setting is measured over several
// rounds, each with a pair of hosts booted afresh, the side booted first alternating (an even
// number of rounds: each side booted first as often). A round's ratio is one side's answers over
// the other's in the same span, and the setting's ratio the geometric mean of the rounds'. A
// second's answers stray by up to 10 % either way (garbage collection, the hypervisor taking the
// CPU), so whole rounds compare far more steadily than the median of short windows.
// The two hosts are loaded at the same time, on one CPU where taskset is available (the load
// generator on the other): whatever slows the machine then slows both alike, each host gets the CPU
// about half the time, and serves as many requests in it as its cost per request allows. Loaded
// one after the other, samples strayed by more than the 3 % measured.
const { performance } = require('node:perf_hooks');
const { startLoad } = require('./load');
const { canPin, cpuMs, pinnedSelf, stopServer } = require('./processes');
const { boot } = require('./servers');
const { sleep } = require('./stats');

const AA = process.env.BENCH_METRICS_AA === '1';
/** The environment of each side, per setting. */
const SETTINGS = {
  metrics: { on: {}, off: AA ? {} : { APPNEST_METRICS: '0', APPNEST_BLOCKED_LOOP_MS: '0' } },
  asyncAttribution: { on: AA ? {} : { APPNEST_ASYNC_ATTRIBUTION: '1' }, off: {} },
};

const PINNED = canPin();
const SERVER_CPU = '1';
const LOAD_CPU = '0';

/**
 * One round: a pair of hosts booted afresh, both loaded at once without a break, and the load cut
 * into windows of loadSeconds read at the same instant on both sides (no side ever runs alone, as
 * it would between two runs started one after the other). Each window is a sample of each side:
 * its answers a second and its CPU time per answer.
 */
async function round(sc, opts, env, onFirst) {
  const hosts = {};
  try {
    const cpus = PINNED ? SERVER_CPU : undefined;
    for (const side of onFirst ? ['on', 'off'] : ['off', 'on']) hosts[side] = await boot('appnest', sc, sc.probePath, { env: env[side], cpus });
    const plugin = sc.plugins[Math.floor(sc.n / 2)];
    const path = `/api/plugins/${plugin.id}/ping`;
    const measure = async () => {
      const loads = { on: startLoad(hosts.on.url + path, { connections: opts.connections }), off: startLoad(hosts.off.url + path, { connections: opts.connections }) };
      const samples = { on: [], off: [] };
      let summaries;
      try {
        // The first seconds warm both up (JIT, pools) and are not counted.
        await sleep(Math.max(1, opts.warmupSeconds) * 1000);
        const read = () => ({ at: performance.now(), on: { answered: loads.on.answered, cpu: cpuMs(hosts.on.pid) }, off: { answered: loads.off.answered, cpu: cpuMs(hosts.off.pid) } });
        let last = read();
        for (let w = 0; w < opts.metricsRuns; w++) {
          await sleep(opts.loadSeconds * 1000);
          const now = read();
          for (const side of ['on', 'off']) {
            const answered = now[side].answered - last[side].answered;
            const cpu = now[side].cpu - last[side].cpu;
            samples[side].push({ rps: (answered * 1000) / (now.at - last.at), cpuUs: (cpu * 1000) / Math.max(1, answered), answered, cpuMs: cpu });
          }
          last = now;
        }
      } finally {
        summaries = { on: await loads.on.stop(), off: await loads.off.stop() };
      }
      const side = (name) => ({ samples: samples[name], failed: summaries[name].failed, unanswered: summaries[name].unanswered });
      return { on: side('on'), off: side('off') };
    };
    return { plugin: plugin.id, ...(await (PINNED ? pinnedSelf(LOAD_CPU, measure) : measure())) };
  } finally {
    await Promise.all(Object.values(hosts).map((host) => stopServer(host)));
  }
}

/** All rounds' windows of one side (all of one length): their mean rate and CPU a request, and the failures of the whole load. */
function merged(sides) {
  const samples = sides.flatMap((x) => x.samples);
  const total = (key) => samples.reduce((sum, x) => sum + x[key], 0);
  return {
    rps: total('rps') / samples.length,
    cpuUs: (total('cpuMs') * 1000) / Math.max(1, total('answered')),
    failed: sides.reduce((sum, x) => sum + x.failed, 0),
    unanswered: sides.reduce((sum, x) => sum + x.unanswered, 0),
    samples,
  };
}

const geometricMean = (values) => Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);

/** `setting`: a key of SETTINGS. */
async function measureSettingCost(sc, opts, setting, log) {
  const rounds = [];
  for (let i = 0; i < opts.metricsRounds; i++) {
    const r = await round(sc, opts, SETTINGS[setting], i % 2 === 0);
    const total = (side, key) => r[side].samples.reduce((sum, x) => sum + x[key], 0);
    const cpuEach = (side) => total(side, 'cpuMs') / Math.max(1, total(side, 'answered'));
    // Answers over the same span on both sides, and CPU a request on against off (above 1 when on costs more).
    const ratio = total('on', 'answered') / Math.max(1, total('off', 'answered'));
    rounds.push({ bootedFirst: i % 2 === 0 ? 'on' : 'off', ratio, cpuRatio: cpuEach('on') / cpuEach('off'), on: r.on, off: r.off, plugin: r.plugin });
  }
  const on = merged(rounds.map((r) => r.on));
  const off = merged(rounds.map((r) => r.off));
  const ratio = geometricMean(rounds.map((r) => r.ratio));
  const cpuRatio = geometricMean(rounds.map((r) => r.cpuRatio));
  const side = (x) => `${x.rps.toFixed(0)} req/s, ${x.cpuUs.toFixed(0)} µs CPU a request`;
  const where = PINNED ? `hosts on CPU ${SERVER_CPU}, load on CPU ${LOAD_CPU}` : 'not pinned to CPUs (no taskset or one CPU)';
  log(`  ${setting} on: ${side(on)}; off: ${side(off)}; ratio ${ratio.toFixed(3)} (rounds ${rounds.map((r) => r.ratio.toFixed(3)).join(', ')}; ${where})`);
  return {
    n: sc.n,
    plugin: rounds[0].plugin,
    route: 'ping',
    pinned: PINNED,
    ratio,
    cpuRatio,
    rounds: rounds.map(({ bootedFirst, ratio, cpuRatio }) => ({ bootedFirst, ratio, cpuRatio })),
    on,
    off,
  };
}

module.exports = { measureSettingCost };
