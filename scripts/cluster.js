#!/usr/bin/env node
// Starts three appnest instances on ports 3001-3003 against one PostgreSQL database, to try the
// cluster behaviour: enable a plugin on one and watch the others follow. Ctrl-C stops all three.
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { join } = require('node:path');
const { Client } = require('pg');

const root = join(__dirname, '..');
const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/appnest_cluster';
const token = process.env.APPNEST_ADMIN_TOKEN || randomBytes(18).toString('base64url');
const basePort = Number(process.env.PORT || 3001);

async function ensureDatabase() {
  const name = new URL(url).pathname.slice(1);
  const admin = new Client({ connectionString: url.replace(/\/[^/]*$/, '/postgres') });
  await admin.connect();
  const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (!rowCount) await admin.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
  await admin.end();
}

async function main() {
  await ensureDatabase();
  const children = [1, 2, 3].map((n) => {
    const child = spawn(process.execPath, [join(root, 'dist', 'src', 'main.js')], {
      cwd: root,
      env: { ...process.env, PORT: String(basePort + n - 1), DATABASE_URL: url, APPNEST_ADMIN_TOKEN: token, APPNEST_DATA_DIR: join(root, 'data', `cluster-${n}`) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const prefix = (chunk) =>
      chunk
        .toString()
        .split('\n')
        .filter(Boolean)
        .forEach((line) => console.log(`[${n}] ${line}`));
    child.stdout.on('data', prefix);
    child.stderr.on('data', prefix);
    child.on('exit', (code, signal) => console.log(`[${n}] exited (${signal ?? code})`));
    return child;
  });
  console.log(`Three instances on ports ${basePort}-${basePort + 2}, database ${url.replace(/:[^:@/]*@/, ':***@')}, admin token: ${token}`);
  console.log(
    `Try: curl -X POST -H 'authorization: Bearer ${token}' -H 'content-type: application/json' -d '{"enabled":true,"acceptRisk":true}' http://127.0.0.1:${basePort}/api/admin/plugins/hello/enabled`,
  );
  console.log(`     curl http://127.0.0.1:${basePort + 2}/api/plugins/hello/greeting`);
  const stop = () => children.forEach((c) => c.kill('SIGTERM'));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(`cluster: ${err.message}`);
  process.exit(1);
});
