// Creates one empty embedded database folder per PGlite version, reused by every test host:
// copying a folder takes milliseconds, creating one takes seconds.
const { existsSync, mkdirSync, renameSync, rmSync } = require('node:fs');
const { join } = require('node:path');

module.exports = async function globalSetup() {
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
