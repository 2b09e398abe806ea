'use strict';
// Install of a 5 MB plugin zip through POST /api/admin/plugins/import (multipart `file`).
// The endpoint may not exist yet: a 404 is reported as "n/a" and the bench goes on.
const { createHash, randomBytes } = require('node:crypto');
const AdmZip = require('adm-zip');
const { authHeaders } = require('./servers');
const { median } = require('./stats');

const NOT_AVAILABLE = 'n/a (import endpoint not available)';
const IMPORT_ID = 'bench-import';

/** A plugin zip of about 5 MB: a small backend and a frontend whose one asset is incompressible. */
function buildZip() {
  const zip = new AdmZip();
  const blob = randomBytes(5 * 1024 * 1024 - 8 * 1024);
  const asset = `assets/data-${createHash('sha256').update(blob).digest('hex').slice(0, 8)}.bin`;
  zip.addFile('plugin.json', Buffer.from(JSON.stringify({ id: IMPORT_ID, name: 'Bench import', version: '1.0.0', host: '^1.0.0' })));
  zip.addFile(
    'app.module.ts',
    Buffer.from(`import { Controller, Get, Module } from '@nestjs/common';

@Controller()
export class BenchImportController {
  @Get('ping')
  ping() {
    return { pong: true };
  }
}

@Module({ controllers: [BenchImportController] })
export class BenchImportModule {}
`),
  );
  zip.addFile('frontend/manifest.json', Buffer.from(JSON.stringify({ 'index.html': { file: asset, isEntry: true, src: 'index.html' } })));
  zip.addFile(`frontend/${asset}`, blob);
  return zip.toBuffer();
}

async function postZip(url, zip, overwrite) {
  const form = new FormData();
  form.append('file', new Blob([zip], { type: 'application/zip' }), `${IMPORT_ID}.zip`);
  if (overwrite) form.append('overwrite', 'true');
  const started = process.hrtime.bigint();
  const res = await fetch(`${url}/api/admin/plugins/import${overwrite ? '?overwrite=true' : ''}`, { method: 'POST', headers: authHeaders, body: form });
  const body = await res.text();
  return { status: res.status, body, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

async function measureImport(host, sc, opts, log) {
  const zip = buildZip();
  const mb = zip.length / (1024 * 1024);
  const samples = [];
  for (let run = 0; run < opts.runs; run++) {
    const res = await postZip(host.url, zip, run > 0);
    if (res.status === 404 && run === 0 && !res.body.includes('PLG_')) {
      log(`  import ${mb.toFixed(1)} MB zip: ${NOT_AVAILABLE}`);
      return { available: false, zipMb: mb, note: NOT_AVAILABLE };
    }
    if (res.status !== 201 && res.status !== 200) {
      log(`  import ${mb.toFixed(1)} MB zip answered ${res.status}: ${res.body.slice(0, 300)}`);
      return { available: false, zipMb: mb, note: `n/a (import answered ${res.status})`, body: res.body.slice(0, 1000) };
    }
    samples.push(res.ms);
  }
  const ms = median(samples);
  log(`  import ${mb.toFixed(1)} MB zip: ${ms.toFixed(0)} ms (median of ${samples.length})`);
  return { available: true, zipMb: mb, ms, samples };
}

module.exports = { measureImport };
