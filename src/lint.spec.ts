import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

/** Runs a checker of the repository; returns what it printed when it failed, '' when it passed. */
function failureOf(command: string, args: string[]): string {
  try {
    execFileSync(process.execPath, [join(ROOT, command), ...args], { cwd: ROOT, stdio: 'pipe' });
    return '';
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: Buffer; stderr?: Buffer };
    return (stdout?.toString() ?? '') + (stderr?.toString() ?? '') || String(err);
  }
}

describe('the sources', () => {
  it('pass the linter, type-aware rules such as no-floating-promises included (npm run lint)', () => {
    const bin = 'node_modules/oxlint/bin/oxlint';
    expect(failureOf(bin, ['--type-aware', '--deny-warnings', 'src', 'test', 'bench', 'scripts', 'bin', 'web/src', 'plugins', 'frontend-plugins'])).toBe('');
  });

  it('are formatted as Prettier formats them (npm run format:check; npm run format fixes them)', () => {
    expect(failureOf('node_modules/prettier/bin/prettier.cjs', ['--check', '--log-level', 'warn', '.'])).toBe('');
  }, 120000);

  it('of the web app type-check strictly, .vue files included (npm run typecheck:web)', () => {
    expect(failureOf('node_modules/vue-tsc/bin/vue-tsc.js', ['--noEmit', '-p', 'web/tsconfig.json'])).toBe('');
  }, 120000);
});
