// Creates one empty embedded database folder per PGlite version, reused by every test host:
// copying a folder takes milliseconds, creating one takes seconds.
const { existsSync, mkdirSync, renameSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');

function buildHost() {
  // The CLI and process tests run the compiled host; build it once here rather than in each worker.
  const root = join(__dirname, '../..');
  // Type errors do not stop the emit; the unit test src/typecheck.spec.ts reports them.
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'pipe' });
  } catch (err) {
    if (!existsSync(join(root, 'dist/src/main.js'))) throw err;
  }
}

module.exports = async function globalSetup() {
  buildHost();
  const version = require('../../node_modules/@electric-sql/pglite/package.json').version;
  const dir = join(__dirname, '../../node_modules/.cache/appnest-test', `pglite-${version}`);
  process.env.APPNEST_TEST_PGLITE_TEMPLATE = dir;
  if (existsSync(dir)) return;
  const { PGlite } = require('@electric-sql/pglite');
  const partial = `${dir}.${process.pid}.tmp`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const db = await PGlite.create({ dataDir: partial });
  await db.query('select 1');
  await db.close();
  try {
    renameSync(partial, dir);
  } catch {
    rmSync(partial, { recursive: true, force: true });
  }
};
