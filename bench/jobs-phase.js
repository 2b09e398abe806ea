'use strict';
// Background jobs on one database kind: jobs per second end to end (a plugin route sends them from
// 16 loops, one `send` each or `sendMany` 100 at a time; a handler with one worker fetching 100 jobs at a time (wakeOnSend: false) runs them;
// from the first send to the last handler's end) and the wait from send to the start of the
// handler, one job at a time.
const { mkdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { createDatabase, dropDatabase } = require('./databases');
const { request } = require('./http-client');
const { writeJobsPlugin } = require('./jobs-plugin');
const { stopServer } = require('./processes');
const { boot, authHeaders } = require('./servers');
const { median } = require('./stats');

async function measureJobs(ctx, db, opts, log) {
  const dir = join(ctx.workDir, `${db}-jobs`);
  const sc = { db, dir, host: ctx.host, pluginsDir: join(dir, 'plugins'), frontendPluginsDir: join(dir, 'frontend-plugins'), appnestDataDir: join(dir, 'appnest-data') };
  mkdirSync(sc.frontendPluginsDir, { recursive: true });
  const id = writeJobsPlugin(sc.pluginsDir);
  const dbName = `bench_jobs_${process.pid}`;
  if (db === 'postgres') sc.appnestDbUrl = await createDatabase(dbName);
  else ctx.copyPglite(join(sc.appnestDataDir, 'pgdata'));
  const host = await boot('appnest', sc, '/api/health');
  try {
    const enabled = await request('POST', `${host.url}/api/admin/plugins/${id}/enabled`, { headers: authHeaders, body: { enabled: true, acceptRisk: true }, timeoutMs: 120_000 });
    if (enabled.status !== 200) throw new Error(`Enabling ${id} answered ${enabled.status}: ${enabled.body.slice(0, 500)}`);
    const count = db === 'postgres' ? opts.jobs : Math.ceil(opts.jobs / 5);
    const runs = { 1: [], 100: [] };
    for (let run = 0; run < opts.jobRuns; run++) {
      for (const batch of [1, 100]) {
        const res = await request('POST', `${host.url}/api/plugins/${id}/bench/throughput`, { body: { count, loops: 16, batch }, timeoutMs: 600_000 });
        if (res.status !== 201) throw new Error(`throughput answered ${res.status}: ${res.body.slice(0, 500)}`);
        const { sentMs, totalMs } = JSON.parse(res.body);
        runs[batch].push({ jobsPerSecond: (count * 1000) / totalMs, sendsPerSecond: (count * 1000) / sentMs });
        log(`  ${db} jobs, ${batch === 1 ? 'send' : 'sendMany'}: ${count} jobs in ${totalMs} ms (${Math.round((count * 1000) / totalMs)}/s; sending alone ${Math.round((count * 1000) / sentMs)}/s)`);
      }
    }
    const latency = await request('POST', `${host.url}/api/plugins/${id}/bench/latency`, { body: { count: opts.latencyJobs }, timeoutMs: 600_000 });
    const waits = JSON.parse(latency.body).waits.sort((a, b) => a - b);
    const result = {
      jobs: count,
      jobsPerSecond: median(runs[1].map((r) => r.jobsPerSecond)),
      sendsPerSecond: median(runs[1].map((r) => r.sendsPerSecond)),
      batchedJobsPerSecond: median(runs[100].map((r) => r.jobsPerSecond)),
      latencyMedianMs: median(waits),
      latencyP95Ms: waits[Math.min(waits.length - 1, Math.floor(waits.length * 0.95))],
      samples: { runs, waits },
    };
    log(`  ${db} jobs: send → start ${result.latencyMedianMs} ms median, ${result.latencyP95Ms} ms p95 over ${waits.length} jobs`);
    return result;
  } finally {
    await stopServer(host);
    if (db === 'postgres') await dropDatabase(dbName).catch(() => undefined);
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { measureJobs };
