'use strict';
// `npm run bench [-- --quick]`: appnest against a static Nest app with the same N modules, on
// PostgreSQL and on the embedded PGlite. Prints a table, writes bench/results/latest.json.
const { mkdirSync, mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const { measureBoots } = require('./boot-phase');
const { snapshotHost } = require('./host-snapshot');
const { pgliteTemplate } = require('./pglite-template');
const { dropAll, postgresAvailable } = require('./databases');
const { measureDependencies } = require('./dependency-phase');
const { measureJobs } = require('./jobs-phase');
const { measureLifecycle } = require('./lifecycle-phase');
const { measureLoad } = require('./load-phase');
const { measureSettingCost } = require('./metrics-phase');
const { parseOptions } = require('./options');
const { killAll } = require('./processes');
const { buildRows, formatTable, jsonRows } = require('./report');
const { prepareScenario, firstBoot, cleanupScenario } = require('./scenario');
const { rounded } = require('./stats');

const RESULTS_DIR = join(__dirname, 'results');
const started = Date.now();
const log = (line) => process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

let workDir;
let keep = false;
let aborting = false;

async function abort(signal) {
  if (aborting) return;
  aborting = true;
  process.stderr.write(`\n${signal}: stopping servers, dropping bench databases\n`);
  killAll();
  await Promise.race([dropAll(), new Promise((r) => setTimeout(r, 5000))]);
  if (workDir && !keep) rmSync(workDir, { recursive: true, force: true });
  process.exit(130);
}

async function runScenario(ctx, db, n, opts) {
  const sc = await prepareScenario(ctx, db, n, log);
  try {
    // Load average of the machine, to tell a noisy run from a slow host.
    const result = { loadAverageAtStart: os.loadavg()[0], setup: await firstBoot(sc, log) };
    result.boots = await measureBoots(sc, opts.runs, log);
    if (opts.bootOnly) return result;
    if (n === opts.loadN) result.load = await measureLoad(sc, opts, log);
    if (n === opts.loadN) Object.assign(result, await measureSettingCosts(sc, opts));
    if (opts.lifecycleNs.includes(n)) result.lifecycle = await measureLifecycle(sc, opts, log);
    result.loadAverageAtEnd = os.loadavg()[0];
    return result;
  } finally {
    await cleanupScenario(sc, opts.keep);
  }
}

/** Metrics on vs off, and the async attribution scope on vs off. */
async function measureSettingCosts(sc, opts) {
  return { metricsCost: await measureSettingCost(sc, opts, 'metrics', log), asyncAttributionCost: await measureSettingCost(sc, opts, 'asyncAttribution', log) };
}

/** `--metrics-only`: one scenario at the load N, its first boot, then the settings' costs. */
async function runMetricsOnly(ctx, db, opts) {
  const sc = await prepareScenario(ctx, db, opts.loadN, log);
  try {
    const loadAverageAtStart = os.loadavg()[0];
    const setup = await firstBoot(sc, log);
    const costs = await measureSettingCosts(sc, opts);
    return { boots: {}, lifecycle: {}, setup: { [opts.loadN]: { ...setup, loadAverageAtStart, loadAverageAtEnd: os.loadavg()[0] } }, ...costs };
  } finally {
    await cleanupScenario(sc, opts.keep);
  }
}

async function main() {
  const opts = parseOptions();
  keep = opts.keep;
  const notes = [];
  if (opts.dbs.includes('postgres') && !(await postgresAvailable())) {
    opts.dbs = opts.dbs.filter((d) => d !== 'postgres');
    notes.push('PostgreSQL at 127.0.0.1:5432 did not answer: postgres scenarios skipped.');
    log(notes[notes.length - 1]);
  }
  workDir = mkdtempSync(join(os.tmpdir(), 'appnest-bench-'));
  const host = snapshotHost(workDir);
  log(`bench ${opts.quick ? '(quick) ' : ''}N=${opts.ns.join(',')} runs=${opts.runs} databases=${opts.dbs.join(',')} in ${workDir}`);
  log(`host under test: ${host.source}`);
  const ctx = { workDir, host, copyPglite: pgliteTemplate(workDir) };

  const results = {};
  for (const db of opts.dbs) {
    if (opts.metricsOnly) {
      log(`${db}, N=${opts.loadN}, metrics on vs off, async attribution on vs off`);
      results[db] = await runMetricsOnly(ctx, db, opts);
      continue;
    }
    results[db] = { boots: {}, lifecycle: {}, setup: {} };
    if (!opts.bootOnly) {
      log(`${db}, background jobs`);
      results[db].jobs = await measureJobs(ctx, db, opts, log);
      if (opts.jobsOnly) continue;
    }
    for (const n of opts.ns) {
      log(`${db}, N=${n}`);
      const r = await runScenario(ctx, db, n, opts);
      results[db].setup[n] = { ...r.setup, loadAverageAtStart: r.loadAverageAtStart, loadAverageAtEnd: r.loadAverageAtEnd };
      results[db].boots[n] = r.boots;
      if (r.load) results[db].load = r.load;
      if (r.metricsCost) Object.assign(results[db], { metricsCost: r.metricsCost, asyncAttributionCost: r.asyncAttributionCost });
      if (r.lifecycle) results[db].lifecycle[n] = r.lifecycle;
    }
    if (opts.bootOnly) continue;
    log(`${db}, a plugin with npm dependencies against the greeter`);
    results[db].dependencies = await measureDependencies(ctx, db, opts, log);
  }

  const rows = buildRows(results, opts.targetN);
  const table = formatTable(rows);
  process.stdout.write(`\n${table}\n`);
  if (opts.targetN !== 100) process.stdout.write(`\nTargets are set at N=100; this run checks them at N=${opts.targetN}.\n`);
  for (const [db, r] of Object.entries(results)) {
    for (const crash of r.load?.crashes ?? []) {
      notes.push(`${db}: ${crash.split('\n')[0]} during the load phase (see results.${db}.load.crashes)`);
      process.stdout.write(`\nCRASH (${db}): ${crash}\n`);
    }
  }
  const misses = rows.filter((r) => r.pass === false).length;
  const checked = rows.filter((r) => r.pass !== undefined).length;
  process.stdout.write(`${checked - misses} of ${checked} targets met.\n`);

  mkdirSync(RESULTS_DIR, { recursive: true });
  const report = {
    date: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
    host: host.source,
    options: opts,
    notes,
    rows: rounded(jsonRows(rows), 3),
    table,
    results: rounded(results, 2),
  };
  writeFileSync(join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote bench/results/latest.json (${report.durationSeconds} s in all)`);
}

process.on('SIGINT', () => void abort('SIGINT'));
process.on('SIGTERM', () => void abort('SIGTERM'));

main()
  .catch(async (err) => {
    process.stderr.write(`bench failed: ${err.stack || err}\n`);
    killAll();
    await dropAll();
    process.exitCode = 1;
  })
  .finally(() => {
    if (workDir && !keep && !aborting) rmSync(workDir, { recursive: true, force: true });
  });
