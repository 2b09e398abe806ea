// Fixture plugins whose package.json has "dependencies" get them installed as their authors would:
// `npm install --omit=dev` in the fixture folder, once per change of its package.json.
const { createHash } = require('node:crypto');
const { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { execFileSync } = require('node:child_process');

const FIXTURES = join(__dirname, '..', 'fixtures');
const STAMP = '.installed-from';

function installFixtureDependencies() {
  for (const name of readdirSync(FIXTURES)) {
    const dir = join(FIXTURES, name);
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest) || !JSON.parse(readFileSync(manifest, 'utf8')).dependencies) continue;
    const hash = createHash('sha256').update(readFileSync(manifest)).digest('hex');
    const stamp = join(dir, 'node_modules', STAMP);
    if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) continue;
    rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    execFileSync(npm, ['install', '--omit=dev', '--no-audit', '--no-fund', '--no-package-lock', '--prefer-offline', '--loglevel=error'], { cwd: dir, stdio: 'pipe', timeout: 300000 });
    writeFileSync(stamp, hash);
  }
}

module.exports = { installFixtureDependencies };
