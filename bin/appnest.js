#!/usr/bin/env node
// Runs the compiled CLI, compiling the host first when its sources are newer than the build.
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');

const root = join(__dirname, '..');
const entry = join(root, 'dist', 'src', 'cli', 'main.js');

function newestSource(dir) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    newest = Math.max(newest, stat.isDirectory() ? newestSource(path) : stat.mtimeMs);
  }
  return newest;
}

const stale = !existsSync(entry) || ['src', 'migrations'].some((dir) => newestSource(join(root, dir)) > statSync(entry).mtimeMs);
if (stale && existsSync(join(root, 'tsconfig.build.json'))) {
  execFileSync(process.execPath, [join(root, 'node_modules', '@typescript', 'native', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
}
require(entry)
  .runCli(process.argv.slice(2))
  .then((code) => process.exit(code));
