'use strict';
// A fresh embedded database costs about 5 s to create but well under one to copy: create one
// empty PGlite folder per bench run (in a child process, to keep the wasm out of the bench) and
// copy it for each side of each scenario.
const { execFileSync } = require('node:child_process');
const { cpSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const CREATE = `
const { PGlite } = require('@electric-sql/pglite');
PGlite.create({ dataDir: process.argv[1] }).then((db) => db.query('SELECT 1').then(() => db.close()));
`;

/** Creates `<workDir>/pglite-template` once; returns a function copying it to a folder. */
function pgliteTemplate(workDir) {
  const template = join(workDir, 'pglite-template');
  return (target) => {
    if (!existsSync(template)) execFileSync(process.execPath, ['-e', CREATE, template], { cwd: join(__dirname, '..'), stdio: 'inherit' });
    cpSync(template, target, { recursive: true });
  };
}

module.exports = { pgliteTemplate };
