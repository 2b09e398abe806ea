'use strict';
// Turns the results into rows (appnest, static, ratio, target, verdict), prints them as a table
// and shapes the JSON file.
const { pairedRatio } = require('./stats');

const ms = (v) => (v == null ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
const mb = (v) => (v == null ? '—' : `${Math.round(v)} MB`);
const mbSigned = (v) => (v == null ? '—' : `${v >= 0 ? '+' : ''}${v.toFixed(1)} MB`);
const rps = (v) => (v == null ? '—' : `${Math.round(v)}/s`);
const p99 = (v) => (v == null ? '—' : `${v.toFixed(2)} ms`);
const us = (v) => (v == null ? '—' : `${Math.round(v)} µs`);
const count = (v) => (v == null ? '—' : String(v));

/** Targets of issue 9; `n` says at which N a target applies (the largest N of the run stands in). */
const TARGETS = {
  bootWarm: { text: 'ratio ≤ 1.15', ok: (r) => r.ratio <= 1.15, atTargetN: true },
  bootCold: { text: 'ratio ≤ 1.5', ok: (r) => r.ratio <= 1.5, atTargetN: true },
  rssBoot: { text: 'ratio ≤ 1.2', ok: (r) => r.ratio <= 1.2, atTargetN: true },
  rps: { text: 'ratio ≥ 0.95', ok: (r) => r.ratio >= 0.95 },
  p99: { text: 'ratio ≤ 1.1', ok: (r) => r.ratio <= 1.1 },
  toggle: { text: '≤ 1 s', ok: (r) => r.appnestValue <= 1000, atTargetN: true },
  failed: { text: '0', ok: (r) => r.appnestValue === 0 },
  growth: { text: '≤ 30 MB', ok: (r) => r.appnestValue <= 30 },
  jobs: { text: '≥ 1000/s', ok: (r) => r.appnestValue >= 1000 },
  metricsCost: { text: 'ratio ≥ 0.97', ok: (r) => r.ratio >= 0.97 },
};

/** The req/s and CPU rows of one setting measured on vs off (metrics-phase.js). */
function settingRows(db, m, what, detail, target) {
  // The ratios are the phase's own: the geometric mean of its rounds' paired medians.
  return [
    withFailures({ ...row(db, `req/s, /ping, ${what}${detail}`, m.n, m.on.rps, m.off.rps, rps, target), ratio: m.ratio }, { appnest: m.on, static: m.off }),
    { ...row(db, `CPU per request, /ping, ${what}`, m.n, m.on.cpuUs, m.off.cpuUs, us, undefined), ratio: m.cpuRatio },
  ];
}

/** `paired`: [appnest samples, static samples] taken run by run; the ratio is then the median of their ratios. */
function row(db, metric, n, appnestValue, staticValue, format, target, paired) {
  let ratio = typeof appnestValue === 'number' && typeof staticValue === 'number' && staticValue > 0 ? appnestValue / staticValue : null;
  if (ratio !== null && paired) ratio = pairedRatio(...paired);
  return { db, metric, n, appnestValue, staticValue, ratio, format, target };
}

/** Notes failed requests (non-2xx, errors, timeouts) seen while loading, which the rate hides. */
function withFailures(x, summary) {
  const failed = ['appnest', 'static']
    .filter((side) => summary[side].failed > 0 || summary[side].unanswered > 0)
    .map((side) => `${side}: ${summary[side].failed} failed, ${summary[side].unanswered ?? 0} unanswered requests`);
  if (failed.length) x.remark = failed.join(', ');
  return x;
}

function rowsFor(db, r, targetN) {
  const rows = [];
  for (const [n, boot] of Object.entries(r.boots)) {
    const s = (kind, key) => boot[kind].samples[key];
    rows.push(row(db, 'boot to first answer, warm cache', +n, boot.warm.ms, boot.static.ms, ms, 'bootWarm', [s('warm', 'ms'), s('static', 'ms')]));
    rows.push(row(db, 'boot to first answer, cold cache', +n, boot.cold.ms, boot.static.ms, ms, 'bootCold', [s('cold', 'ms'), s('static', 'ms')]));
    rows.push(row(db, 'RSS after boot (warm)', +n, boot.warm.rss, boot.static.rss, mb, 'rssBoot', [s('warm', 'rss'), s('static', 'rss')]));
  }
  if (r.load) {
    const l = r.load;
    rows.push(row(db, `RSS after ${l.loadSecondsEach} s of load`, l.n, l.rssAfterLoad.appnest, l.rssAfterLoad.static, mb));
    for (const route of ['ping', 'items']) {
      const label = route === 'ping' ? 'plugin route /ping (no DB)' : 'plugin route /items (DB read)';
      const s = (side, key) => l[route][side].samples.map((x) => x[key]);
      rows.push(withFailures(row(db, `req/s, ${label}`, l.n, l[route].appnest.rps, l[route].static.rps, rps, 'rps', [s('appnest', 'rps'), s('static', 'rps')]), l[route]));
      rows.push(row(db, `p99, ${label}`, l.n, l[route].appnest.p99, l[route].static.p99, p99, 'p99', [s('appnest', 'p99'), s('static', 'p99')]));
      if (l[route].appnest.cpuUs != null)
        rows.push(row(db, `CPU per request, ${label}`, l.n, l[route].appnest.cpuUs, l[route].static.cpuUs, us, undefined, [s('appnest', 'cpuUs'), s('static', 'cpuUs')]));
    }
    if (l.assets.available) {
      const s = (side) => l.assets[side].samples.map((x) => x.rps);
      rows.push(withFailures(row(db, 'req/s, asset file vs express.static', l.n, l.assets.appnest.rps, l.assets.static.rps, rps, undefined, [s('appnest'), s('static')]), l.assets));
    } else rows.push({ ...row(db, 'req/s, asset file vs express.static', l.n, null, null, rps), note: l.assets.note });
  }
  if (r.jobs) {
    const j = r.jobs;
    rows.push(row(db, `jobs/s end to end, ${j.jobs} jobs, one send each`, '-', j.jobsPerSecond, null, rps, db === 'postgres' ? 'jobs' : undefined));
    rows.push(row(db, `jobs/s end to end, ${j.jobs} jobs, sendMany by 100`, '-', j.batchedJobsPerSecond, null, rps, db === 'postgres' ? 'jobs' : undefined));
    rows.push(row(db, 'job send → handler start, median', '-', j.latencyMedianMs, null, ms));
    rows.push(row(db, 'job send → handler start, p95', '-', j.latencyP95Ms, null, ms));
  }
  if (r.metricsCost) {
    // Both columns are appnest here: metrics and watchdog on (the default) against APPNEST_METRICS=0 APPNEST_BLOCKED_LOOP_MS=0.
    rows.push(...settingRows(db, r.metricsCost, 'metrics on vs off', ' (APPNEST_METRICS=0, APPNEST_BLOCKED_LOOP_MS=0)', 'metricsCost'));
  }
  if (r.asyncAttributionCost) {
    // What APPNEST_ASYNC_ATTRIBUTION=1 costs against the default (attribution by stack alone): no target, it is opt-in.
    rows.push(...settingRows(db, r.asyncAttributionCost, 'APPNEST_ASYNC_ATTRIBUTION=1 vs default', '', undefined));
  }
  for (const [n, lc] of Object.entries(r.lifecycle)) {
    rows.push(row(db, 'enable latency (admin POST)', +n, lc.enableMs, null, ms, 'toggle'));
    rows.push(row(db, 'disable latency (admin POST)', +n, lc.disableMs, null, ms, 'toggle'));
    rows.push(row(db, `failed requests, ${lc.underLoad.cycles} cycles under load`, +n, lc.failedUnderLoad, null, count, 'failed'));
    if (lc.memory) {
      rows.push(row(db, `RSS growth over ${lc.memory.cycles} cycles (after GC)`, +n, lc.memory.growth, null, mbSigned, 'growth'));
      rows.push(row(db, `heap growth over ${lc.memory.cycles} cycles (after GC)`, +n, lc.memory.heapGrowth, null, mbSigned));
    }
    if (lc.import) {
      const imp = lc.import;
      rows.push({ ...row(db, `install of a ${imp.zipMb.toFixed(1)} MB plugin zip`, +n, imp.available ? imp.ms : null, null, ms), note: imp.available ? undefined : imp.note });
    }
  }
  if (r.dependencies) {
    const d = r.dependencies;
    const remark = `static column: the greeter plugin; JWT plugin ships ${d.packed.packages} npm packages (${d.packed.files} files)`;
    rows.push({ ...row(db, 'enable, first (cold): JWT plugin vs greeter', 1, d['auth-jwt'].coldMs, d.hello.coldMs, ms), remark });
    rows.push({ ...row(db, 'enable, warm: JWT plugin vs greeter', 1, d['auth-jwt'].warmMs, d.hello.warmMs, ms, undefined, [d['auth-jwt'].samples, d.hello.samples]), remark });
    rows.push({ ...row(db, 'RSS added by an enable: JWT plugin vs greeter', 1, d['auth-jwt'].rssAddedMb, d.hello.rssAddedMb, mbSigned), remark });
  }
  for (const x of rows) {
    const target = x.target && TARGETS[x.target];
    if (!target) continue;
    if (target.atTargetN && x.n !== targetN) {
      x.targetText = `(${target.text} at N=${targetN})`;
      continue;
    }
    x.targetText = target.text;
    x.pass = target.ok(x);
  }
  return rows;
}

function buildRows(results, targetN) {
  return Object.entries(results).flatMap(([db, r]) => rowsFor(db, r, targetN));
}

function formatTable(rows) {
  const header = ['db', 'metric', 'N', 'appnest', 'static', 'ratio', 'target', '', 'remark'];
  const lines = rows.map((x) => [
    x.db,
    x.metric,
    String(x.n),
    x.note && x.appnestValue == null ? x.note : x.format(x.appnestValue),
    x.staticValue == null ? '' : x.format(x.staticValue),
    x.ratio == null ? '' : x.ratio.toFixed(2),
    x.targetText ?? '',
    x.pass === undefined ? '' : x.pass ? 'PASS' : 'MISS',
    x.remark ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [fmt(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmt)].join('\n');
}

/** Rows without the formatter, for JSON. */
function jsonRows(rows) {
  return rows.map(({ format, target: _target, ...rest }) => ({
    ...rest,
    appnest: rest.note && rest.appnestValue == null ? rest.note : format(rest.appnestValue),
    static: rest.staticValue == null ? null : format(rest.staticValue),
  }));
}

module.exports = { buildRows, formatTable, jsonRows };
