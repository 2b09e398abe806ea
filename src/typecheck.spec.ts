import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

describe('the TypeScript sources', () => {
  it('typecheck strictly (src, migrations, test, bench)', () => {
    const root = join(__dirname, '..');
    let output = '';
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/@typescript/native/bin/tsc'), '-p', join(root, 'tsconfig.json'), '--noEmit'], { cwd: root, stdio: 'pipe' });
    } catch (err) {
      output = String((err as { stdout?: Buffer }).stdout ?? err);
    }
    expect(output).toBe('');
  });
});
