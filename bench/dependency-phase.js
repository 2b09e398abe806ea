'use strict';
// A plugin with a vendored npm dependency tree (the JWT fixture: @nestjs/jwt, @nestjs/passport,
// @nestjs/config, passport-jwt and what they need, packed with appnest pack) against the plain
// greeter (plugins/hello): latency of a live enable, cold (first, compiling) and warm, and the
// resident memory an enable adds to a freshly booted host.
const { cpSync, mkdirSync } = require('node:fs');
const { join } = require('node:path');
const AdmZip = require('adm-zip');
const { installFixtureDependencies } = require('../test/support/fixture-dependencies');
const { createDatabase, dropDatabase } = require('./databases');
const { request } = require('./http-client');
const { rssMb, stopServer } = require('./processes');
const { boot, authHeaders } = require('./servers');
const { median, sleep } = require('./stats');

const REPO = join(__dirname, '..');

async function toggle(url, id, enabled) {
  const res = await request('POST', `${url}/api/admin/plugins/${id}/enabled`, { headers: authHeaders, body: { enabled, acceptRisk: true }, timeoutMs: 120_000 });
  if (res.status !== 200) throw new Error(`${enabled ? 'Enabling' : 'Disabling'} ${id} answered ${res.status}: ${res.body.slice(0, 500)}`);
  return res.ms;
}

/** A fresh host with only this plugin installed: the first enable (cold), `runs` warm ones, and the RSS added. */
async function measurePlugin(sc, id, runs) {
  const host = await boot('appnest', sc, '/api/health');
  try {
    await sleep(500);
    const rssBefore = rssMb(host.pid);
    const coldMs = await toggle(host.url, id, true);
    const warm = [];
    for (let i = 0; i < runs; i++) {
      await toggle(host.url, id, false);
      warm.push(await toggle(host.url, id, true));
    }
    await sleep(1000);
    return { coldMs, warmMs: median(warm), samples: warm, rssBefore, rssAfter: rssMb(host.pid), rssAddedMb: rssMb(host.pid) - rssBefore };
  } finally {
    await stopServer(host);
  }
}

async function measureDependencies(ctx, db, opts, log) {
  installFixtureDependencies();
  const { packPlugin } = require(join(ctx.host.root, 'dist', 'src', 'pack', 'plugin-packer'));
  const result = {};
  for (const [id, source] of [
    ['hello', join(REPO, 'plugins', 'hello')],
    ['auth-jwt', join(REPO, 'test', 'fixtures', 'auth-jwt')],
  ]) {
    const dir = join(ctx.workDir, `${db}-deps-${id}`);
    const sc = { db, dir, host: ctx.host, pluginsDir: join(dir, 'plugins'), frontendPluginsDir: join(dir, 'frontend-plugins'), appnestDataDir: join(dir, 'appnest-data') };
    mkdirSync(sc.pluginsDir, { recursive: true });
    mkdirSync(sc.frontendPluginsDir, { recursive: true });
    if (id === 'hello') cpSync(source, join(sc.pluginsDir, id), { recursive: true });
    else {
      const packed = await packPlugin(source, { out: join(dir, `${id}.zip`) });
      new AdmZip(packed.file).extractAllTo(sc.pluginsDir, true);
      result.packed = { files: packed.files, bytes: packed.bytes, packages: packed.dependencies.length };
    }
    const database = `bench_deps_${id.replace('-', '_')}_${process.pid}`;
    if (db === 'postgres') sc.appnestDbUrl = await createDatabase(database);
    else ctx.copyPglite(join(sc.appnestDataDir, 'pgdata'));
    try {
      result[id] = await measurePlugin(sc, id, opts.runs);
    } finally {
      if (db === 'postgres') await dropDatabase(database).catch(() => undefined);
    }
    log(`  ${id}: enable cold ${result[id].coldMs.toFixed(0)} ms, warm ${result[id].warmMs.toFixed(0)} ms, RSS +${result[id].rssAddedMb.toFixed(1)} MB`);
  }
  return result;
}

module.exports = { measureDependencies };
