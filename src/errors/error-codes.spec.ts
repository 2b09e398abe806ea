import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from './error-codes';

describe('the error catalogue', () => {
  const doc = readFileSync(join(__dirname, '../../docs/errors.md'), 'utf8');
  const documented = new Map([...doc.matchAll(/^## (PLG_[A-Z_]+) \((\d{3})\)$/gm)].map((m) => [m[1], Number(m[2])]));

  it('documents every code in docs/errors.md with its HTTP status', () => {
    for (const [code, { status }] of Object.entries(ERROR_CODES)) expect([code, documented.get(code)]).toEqual([code, status]);
  });

  it('documents no code that does not exist', () => {
    for (const code of documented.keys()) expect(Object.keys(ERROR_CODES)).toContain(code);
  });

  it('throws or reports every code somewhere in the host', () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : /(?<!\.spec)\.(ts|vue)$/.test(e.name) ? [join(dir, e.name)] : []));
    const text = [...sources(join(__dirname, '..')), ...sources(join(__dirname, '../../web/src'))]
      .filter((f) => !f.endsWith('error-codes.ts'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const unused = Object.keys(ERROR_CODES).filter((code) => !new RegExp(`['"\`]${code}['"\`]`).test(text));
    expect(unused).toEqual([]);
  });

  it('uses the PLG_ prefix and an HTTP error status for every code', () => {
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^PLG_[A-Z_]+$/);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
    }
  });
});
