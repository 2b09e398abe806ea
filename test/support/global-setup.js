// Builds the host once for the tests that run it as a process (the CLI, npm start, the cluster).
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');
const { installFixtureDependencies } = require('./fixture-dependencies');

function buildHost() {
  // The CLI and process tests run the compiled host; build it once here rather than in each worker.
  const root = join(__dirname, '../..');
  // Type errors do not stop the emit; the unit test src/typecheck.spec.ts reports them.
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/@typescript/native/bin/tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'pipe' });
  } catch (err) {
    if (!existsSync(join(root, 'dist/src/main.js'))) throw err;
  }
}

module.exports = async function globalSetup() {
  buildHost();
  installFixtureDependencies();
};
