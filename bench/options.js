'use strict';
// Bench options from the command line and the environment.
//   --quick        short smoke run (N = 1, 20; 2 runs; seconds instead of a minute of load)
//   --keep         keep the temporary folder (plugins, static app, data folders) for inspection
//   BENCH_N        comma list of plugin counts (default 1,20,100; quick 1,20)
//   BENCH_RUNS     runs per measurement, the median is reported (default 5; quick 2)
//   BENCH_DB       comma list of database kinds: postgres, pglite (default both)
//   BENCH_HOST_NODE_ARGS  extra node flags for the appnest host (e.g. --cpu-prof)
//   BENCH_JOBS     jobs per throughput run on PostgreSQL, a fifth of it on PGlite (default 5000; quick 2000)
//   --jobs-only    only the background jobs phase
//   --metrics-only only the settings' cost phase: metrics on vs off, async attribution on vs off (at the largest N)
//   --boot-only    only the boot rows (warm, cold, static at each N)
//   BENCH_METRICS_AA=1  that phase with both hosts as configured by default: the rows' own noise
//   BENCH_METRICS_ROUNDS  rounds of the settings' rows, each a pair of hosts booted afresh (even; default 8, quick 2)

function list(value, fallback) {
  return value
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : fallback;
}

function parseOptions(argv = process.argv.slice(2), env = process.env) {
  const quick = argv.includes('--quick');
  const unknown = argv.filter((a) => !['--quick', '--keep', '--jobs-only', '--metrics-only', '--boot-only'].includes(a));
  if (unknown.length) throw new Error(`Unknown argument(s): ${unknown.join(' ')}. Use --quick, --keep, --jobs-only, --metrics-only and/or --boot-only.`);
  const jobs = Number(env.BENCH_JOBS || (quick ? 2000 : 5000));
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`BENCH_JOBS must be a positive whole number, got '${env.BENCH_JOBS}'.`);
  const ns = list(env.BENCH_N, quick ? ['1', '20'] : ['1', '20', '100'])
    .map(Number)
    .sort((a, b) => a - b);
  if (ns.some((n) => !Number.isInteger(n) || n < 1 || n > 999)) throw new Error(`BENCH_N must list whole numbers from 1 to 999, got '${env.BENCH_N}'.`);
  const runs = Number(env.BENCH_RUNS || (quick ? 2 : 5));
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_RUNS must be a positive whole number, got '${env.BENCH_RUNS}'.`);
  const metricsRounds = Number(env.BENCH_METRICS_ROUNDS || (quick ? 2 : 8));
  if (!Number.isInteger(metricsRounds) || metricsRounds < 2 || metricsRounds % 2) throw new Error(`BENCH_METRICS_ROUNDS must be an even whole number from 2, got '${env.BENCH_METRICS_ROUNDS}'.`);
  const dbs = list(env.BENCH_DB, ['postgres', 'pglite']);
  if (dbs.some((d) => !['postgres', 'pglite'].includes(d))) throw new Error(`BENCH_DB must list postgres and/or pglite, got '${env.BENCH_DB}'.`);
  const maxN = ns[ns.length - 1];
  const lifecycleNs = ns.filter((n) => n >= 20).length ? ns.filter((n) => n >= 20) : [maxN];
  return {
    quick,
    keep: argv.includes('--keep'),
    ns,
    runs,
    dbs,
    connections: 10,
    // Short alternating load runs pair better on a noisy machine than long ones. Per side, load
    // totals 2 routes * (warmup + loadRuns * loadSeconds): 64 s by default, "about a minute".
    loadRuns: quick ? runs : runs * 2,
    loadSeconds: quick ? 2 : 3,
    // Metrics on vs off: rounds of a pair of hosts booted afresh (an even number), each loaded
    // without a break for warmupSeconds and then metricsRuns windows of loadSeconds.
    metricsRounds,
    metricsRuns: quick ? 2 : 3,
    warmupSeconds: quick ? 0 : 2,
    assetSeconds: quick ? 2 : 3,
    loadedCycles: quick ? 3 : 20,
    memoryCycles: quick ? 10 : 50,
    loadN: maxN,
    lifecycleNs,
    memoryN: maxN,
    importN: lifecycleNs.includes(20) ? 20 : maxN,
    targetN: maxN,
    jobsOnly: argv.includes('--jobs-only'),
    metricsOnly: argv.includes('--metrics-only'),
    bootOnly: argv.includes('--boot-only'),
    jobs,
    jobRuns: quick ? 1 : 3,
    latencyJobs: quick ? 20 : 100,
  };
}

module.exports = { parseOptions };
