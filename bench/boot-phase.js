'use strict';
// Boot to first answer and resident memory after boot: appnest warm, appnest cold (compile cache
// deleted, migrations already applied), static app; runs alternate, the order rotating each run.
const { rmSync } = require('node:fs');
const { join } = require('node:path');
const { stopServer } = require('./processes');
const { boot } = require('./servers');
const { median, sleep } = require('./stats');

const KINDS = ['warm', 'cold', 'static'];

async function bootOnce(kind, sc) {
  if (kind === 'cold') rmSync(join(sc.appnestDataDir, 'compile-cache'), { recursive: true, force: true });
  const server = await boot(kind === 'static' ? 'static' : 'appnest', sc, sc.probePath);
  await stopServer(server);
  return { ms: server.bootMs, rss: server.bootRss };
}

async function measureBoots(sc, runs, log) {
  const samples = Object.fromEntries(KINDS.map((k) => [k, { ms: [], rss: [] }]));
  for (let run = 0; run < runs; run++) {
    const order = KINDS.map((_, i) => KINDS[(i + run) % KINDS.length]);
    for (const kind of order) {
      const { ms, rss } = await bootOnce(kind, sc);
      samples[kind].ms.push(ms);
      samples[kind].rss.push(rss);
      await sleep(200);
    }
  }
  const result = {};
  for (const kind of KINDS) result[kind] = { ms: median(samples[kind].ms), rss: median(samples[kind].rss), samples: samples[kind] };
  log(
    `  boot N=${sc.n}: warm ${result.warm.ms.toFixed(0)} ms, cold ${result.cold.ms.toFixed(0)} ms, static ${result.static.ms.toFixed(0)} ms; RSS warm ${result.warm.rss.toFixed(0)} MB, static ${result.static.rss.toFixed(0)} MB`,
  );
  return result;
}

module.exports = { measureBoots };
