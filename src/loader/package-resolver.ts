import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { exports as resolveExports } from 'resolve.exports';

/** The package name of a bare specifier: `@scope/name` or `name`, without a subpath. */
export function packageNameOf(request: string): string {
  const parts = request.split('/');
  return request.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The folders Node looks for `node_modules/<name>` in, from a file's folder up to the root. */
function* nodeModulesDirs(fromDir: string): Generator<string> {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    if (!dir.endsWith(`${sep}node_modules`)) yield join(dir, 'node_modules');
    if (dirname(dir) === dir) return;
  }
}

/** The folder of package `name` as Node would find it from `fromDir`. */
export function findPackageDir(name: string, fromDir: string): string | undefined {
  for (const dir of nodeModulesDirs(fromDir)) {
    const candidate = join(dir, name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
  }
  return undefined;
}

/**
 * Resolves a bare specifier from `fromFile` as Node does: CommonJS resolution first (the `require`
 * conditions of an exports map), then the `import` conditions, for ESM-only packages that the
 * plugin loader turns into CommonJS. Returns undefined when the package is not installed there.
 */
export function resolvePackage(request: string, fromFile: string): string | undefined {
  try {
    return createRequire(fromFile).resolve(request);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw err;
  }
  const name = packageNameOf(request);
  const dir = findPackageDir(name, dirname(fromFile));
  if (!dir) return undefined;
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { exports?: unknown };
  if (!manifest.exports) return undefined;
  const subpath = `.${request.slice(name.length)}`;
  const found = resolveExports(manifest, subpath, { conditions: ['node'], require: false })
    ?.map((entry) => join(dir, entry))
    .find((file) => existsSync(file));
  return found;
}
