import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { PluginError } from '../errors/plugin-error';
import { findPackageDir } from '../loader/package-resolver';
import { sharedPackageOf } from '../loader/shared-modules';

/** One installed package a plugin ships: its folder relative to the plugin folder, `/`-separated. */
export interface VendoredPackage {
  name: string;
  version: string;
  path: string;
}

interface PackageManifest {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  gypfile?: boolean;
}

function readManifest(dir: string): PackageManifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageManifest;
}

/** Whether a package folder holds a native addon: a compiled `.node` file or a node-gyp build. */
function nativeAddonOf(dir: string, manifest: PackageManifest): string | undefined {
  if (manifest.gypfile || existsSync(join(dir, 'binding.gyp'))) return 'binding.gyp';
  const walk = (folder: string): string | undefined => {
    for (const name of readdirSync(folder)) {
      if (name === 'node_modules') continue;
      const path = join(folder, name);
      if (statSync(path).isDirectory()) {
        const found = walk(path);
        if (found) return found;
      } else if (name.endsWith('.node')) return relative(dir, path);
    }
    return undefined;
  };
  return walk(dir);
}

/**
 * The packages a plugin needs at run time, as npm installed them in its folder: its
 * "dependencies", "optionalDependencies" and installed peers, and theirs, found the way Node's
 * resolver finds them. Shared packages are left out (the host always gives its own copy), and so
 * is everything only they need. `importerOf` names the plugin file that imports a package, for
 * the errors: a dependency that is not installed, or a native addon.
 */
export function productionDependencies(pluginDir: string, pluginId: string, importerOf: (name: string) => string | undefined): VendoredPackage[] {
  if (!existsSync(join(pluginDir, 'package.json'))) return [];
  const found = new Map<string, VendoredPackage>();
  const visit = (fromDir: string, manifest: PackageManifest, root: string | undefined): void => {
    const optional = new Set([
      ...Object.keys(manifest.optionalDependencies ?? {}),
      ...Object.entries(manifest.peerDependenciesMeta ?? {})
        .filter(([, m]) => m.optional)
        .map(([n]) => n),
    ]);
    const peers = new Set(Object.keys(manifest.peerDependencies ?? {}));
    const names = new Set([...Object.keys(manifest.dependencies ?? {}), ...optional, ...peers]);
    for (const name of [...names].sort()) {
      if (sharedPackageOf(name)) continue;
      const dir = findPackageDir(name, fromDir);
      const inside = dir !== undefined && !relative(pluginDir, dir).startsWith('..');
      if (!dir || !inside) {
        // npm leaves uninstalled peers and optional packages out; a peer may also be the host's.
        if (optional.has(name) || peers.has(name)) continue;
        const importer = importerOf(root ?? name);
        throw new PluginError(
          'PLG_PACKAGE_MISSING',
          `Plugin '${pluginId}' depends on '${name}'${root ? ` (through '${root}')` : ''}${importer ? `, imported in ${importer},` : ''} but it is not installed in the plugin folder.`,
          {
            pluginId,
            hint: 'Run npm install in the plugin folder, then pack again.',
            details: { package: name, ...(importer ? { file: importer } : {}) },
          },
        );
      }
      const path = relative(pluginDir, dir).split(sep).join('/');
      if (found.has(path)) continue;
      const own = readManifest(dir);
      const addon = nativeAddonOf(dir, own);
      if (addon) {
        const importer = importerOf(root ?? name);
        throw new PluginError(
          'PLG_PACKAGE_NATIVE',
          `Plugin '${pluginId}' depends on '${name}'${root && root !== name ? ` (through '${root}')` : ''}, a native addon (${addon})${importer ? ` imported in ${importer}` : ''}; a plugin archive cannot carry one.`,
          {
            pluginId,
            hint: 'Use a pure JavaScript package instead, or install the addon in the host.',
            details: { package: name, ...(importer ? { file: importer } : {}) },
          },
        );
      }
      found.set(path, { name, version: own.version ?? '0.0.0', path });
      visit(dir, own, root ?? name);
    }
  };
  visit(pluginDir, readManifest(pluginDir), undefined);
  return [...found.values()].sort((a, b) => a.path.localeCompare(b.path));
}

const DROPPED_DIRS = new Set(['node_modules', 'test', 'tests', '__tests__', 'docs', 'doc', 'example', 'examples', 'coverage', '.github']);
const DROPPED_FILES = /(\.d\.[cm]?ts|\.map|\.tsbuildinfo|\.(md|markdown)|\.[cm]?ts)$/i;
const KEPT_FILES = /^(licen[cs]e|notice|copying)/i;

/**
 * The files of a vendored package that run: not its type declarations, source maps, TypeScript
 * sources, docs, tests or dot files (licences stay), nor its nested node_modules, which are
 * packages of their own.
 */
export function packageFiles(pluginDir: string, pkg: VendoredPackage): string[] {
  const files: string[] = [];
  const walk = (folder: string, prefix: string): void => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      const stats = statSync(path);
      if (stats.isDirectory()) {
        if (!name.startsWith('.') && !DROPPED_DIRS.has(name)) walk(path, `${prefix}${name}/`);
      } else if (KEPT_FILES.test(name) || (!name.startsWith('.') && !DROPPED_FILES.test(name))) {
        files.push(`${prefix}${name}`);
      }
    }
  };
  walk(join(pluginDir, pkg.path), `${pkg.path}/`);
  return files;
}

/** The folder a vendored file belongs to, for messages. */
export function packageOfPath(path: string): string {
  return dirname(path);
}
