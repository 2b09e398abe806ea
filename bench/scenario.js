'use strict';
// One scenario = one database kind and one N: its own plugin folder, static app, databases and
// data folders, prepared once (plugins enabled through the admin API, migrations applied on both
// sides) and removed afterwards.
const { mkdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { createDatabase, dropDatabase } = require('./databases');
const { generatePlugins } = require('./generate-plugins');
const { request } = require('./http-client');
const { stopServer } = require('./processes');
const { boot, authHeaders } = require('./servers');
const { buildStaticApp } = require('./static-app');
const { median } = require('./stats');

async function prepareScenario(ctx, db, n, log) {
  const dir = join(ctx.workDir, `${db}-n${n}`);
  mkdirSync(dir, { recursive: true });
  const sc = {
    db,
    n,
    dir,
    host: ctx.host,
    pluginsDir: join(dir, 'plugins'),
    frontendPluginsDir: join(dir, 'frontend-plugins'),
    appnestDataDir: join(dir, 'appnest-data'),
    staticPgliteDir: join(dir, 'static-pgdata'),
    databases: [],
  };
  mkdirSync(sc.frontendPluginsDir, { recursive: true });
  sc.plugins = generatePlugins(sc.pluginsDir, n);
  sc.staticApp = buildStaticApp(join(dir, 'static'), sc.plugins);
  sc.probePath = `/api/plugins/${sc.plugins[n - 1].id}/ping`;
  if (db === 'postgres') {
    const suffix = `n${n}_${process.pid}`;
    sc.appnestDbUrl = await createDatabase(`bench_appnest_${suffix}`);
    sc.staticDbUrl = await createDatabase(`bench_static_${suffix}`);
    sc.databases.push(`bench_appnest_${suffix}`, `bench_static_${suffix}`);
  } else {
    ctx.copyPglite(join(sc.appnestDataDir, 'pgdata'));
    ctx.copyPglite(sc.staticPgliteDir);
  }
  log(`  ${db} N=${n}: ${n} plugins generated, static app compiled in ${sc.staticApp.compileMs.toFixed(0)} ms`);
  return sc;
}

/** First boots: enable every plugin once through the admin API (flags persist), apply the static app's migrations. */
async function firstBoot(sc, log) {
  const started = Date.now();
  const host = await boot('appnest', sc, '/api/health');
  const enableMs = [];
  try {
    for (const plugin of sc.plugins) {
      const res = await request('POST', `${host.url}/api/admin/plugins/${plugin.id}/enabled`, { headers: authHeaders, body: { enabled: true, acceptRisk: true }, timeoutMs: 120_000 });
      if (res.status !== 200) throw new Error(`Enabling ${plugin.id} answered ${res.status}: ${res.body.slice(0, 500)}`);
      enableMs.push(res.ms);
    }
  } finally {
    await stopServer(host);
  }
  const firstStatic = await boot('static', sc, sc.probePath);
  await stopServer(firstStatic);
  const setup = {
    firstBootMs: host.bootMs,
    enableAllMs: enableMs.reduce((a, b) => a + b, 0),
    firstEnableMs: enableMs[0],
    lastEnableMs: enableMs[enableMs.length - 1],
    medianEnableMs: median(enableMs),
    staticFirstBootMs: firstStatic.bootMs,
  };
  log(
    `  setup: ${sc.n} plugins enabled one by one in ${(setup.enableAllMs / 1000).toFixed(1)} s (last ${setup.lastEnableMs.toFixed(0)} ms); setup took ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return setup;
}

async function cleanupScenario(sc, keep) {
  for (const name of sc.databases) await dropDatabase(name).catch(() => undefined);
  if (!keep) rmSync(sc.dir, { recursive: true, force: true });
}

module.exports = { prepareScenario, firstBoot, cleanupScenario };
