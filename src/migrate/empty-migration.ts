import type { MigrationInterface } from 'typeorm';

/**
 * Whether a migration's up() does nothing: its body holds only comments and blank space, as the
 * skeleton `appnest migration:create` writes. Read from the compiled method's text.
 */
export function hasEmptyUp(migration: MigrationInterface): boolean {
  const source = Function.prototype.toString.call(migration.up);
  const bodyStart = source.search(/\)\s*\{/);
  if (bodyStart < 0) return false;
  const body = source.slice(source.indexOf('{', bodyStart) + 1, source.lastIndexOf('}'));
  return (
    body
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/[^\n]*/g, '')
      .trim() === ''
  );
}
