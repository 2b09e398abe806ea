'use strict';
// The host under test, frozen at bench start: a copy of the built dist/ (plus package.json, with
// node_modules and web/ linked), so a `npm run build` elsewhere during a long run cannot change
// the code between two measurements. BENCH_HOST_ROOT names another built checkout to measure,
// BENCH_HOST_LABEL how the report names it.
const { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { execFileSync } = require('node:child_process');

const REPO = join(__dirname, '..');

function describeCommit(root) {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'migrations'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${commit} + uncommitted changes in src/` : commit;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** Copies `<root>/dist` into `<workDir>/host`; returns { root, entry, version, source }. */
function snapshotHost(workDir, root = process.env.BENCH_HOST_ROOT ? resolve(process.env.BENCH_HOST_ROOT) : REPO) {
  const entry = join(root, 'dist', 'src', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` there first (\`npm run bench\` builds this repository).`);
  const target = join(workDir, 'host');
  mkdirSync(target, { recursive: true });
  cpSync(join(root, 'dist'), join(target, 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(target, 'package.json'));
  for (const linked of ['node_modules', 'web']) {
    if (existsSync(join(root, linked))) symlinkSync(join(root, linked), join(target, linked), 'dir');
  }
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const source = process.env.BENCH_HOST_LABEL || `${root} at ${describeCommit(root)}`;
  return { root: target, entry: join(target, 'dist', 'src', 'main.js'), version, source };
}

module.exports = { snapshotHost };
