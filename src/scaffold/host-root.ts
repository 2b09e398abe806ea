import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The folder of the host's package.json (the repository, or the installed package), from src/ or dist/src/. */
export function findHostRoot(from = __dirname): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'appnest') return dir;
  }
  throw new Error(`Cannot find the appnest package.json above ${from}.`);
}

/** A dependency's version range in the host's package.json (dependencies or devDependencies). */
export function hostDependencyRange(hostRoot: string, name: string, fallback: string): string {
  const pkg = JSON.parse(readFileSync(join(hostRoot, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
  return pkg.dependencies?.[name] ?? pkg.devDependencies?.[name] ?? fallback;
}
