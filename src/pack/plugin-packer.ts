import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import AdmZip from 'adm-zip';
import { PluginArchiveInstaller } from '../archive/plugin-archive-installer';
import { readPluginFolder } from '../discovery/plugin-scanner';
import { PluginError } from '../errors/plugin-error';
import { PluginCompiler } from '../loader/plugin-compiler';
import { PluginLoader } from '../loader/plugin-loader';
import { listPluginFiles } from '../discovery/plugin-files';
import { packageFiles, productionDependencies, type VendoredPackage } from './production-dependencies';

export interface PackOptions {
  /** The zip to write (default: `<id>-<version>.zip` in the working folder). */
  out?: string;
  onStep?: (label: string) => void;
}

export interface PackResult {
  id: string;
  version: string;
  file: string;
  sha256: string;
  /** Files in the zip. */
  files: number;
  /** TypeScript files compiled to JavaScript. */
  compiled: number;
  bytes: number;
  /** The npm packages shipped in the zip's node_modules. */
  dependencies: { name: string; version: string }[];
  /** Files and folders of the plugin folder left out because they may hold secrets or host state. */
  leftOut: string[];
}

const TYPESCRIPT = /\.(ts|tsx|mts|cts)$/;
/** Every entry gets this time, so the same sources give the same bytes on every machine. */
const ENTRY_TIME = new Date(2000, 0, 1);
/** rw-r--r-- regular file, in the external attributes' upper half. */
const ENTRY_ATTR = (0o100644 << 16) >>> 0;

/** Files the author needs and the host does not: frontend sources, tests and their Jest config, type declarations, tsconfig. */
export function isAuthoringOnly(path: string, isDirectory: boolean): boolean {
  const name = basename(path);
  if (isDirectory) return path === 'web' || name === 'test' || name === 'tests' || name === '__tests__';
  if (/\.(test|spec|e2e-spec)\.[cm]?[jt]sx?$/.test(name) || name.endsWith('.d.ts')) return true;
  return /^tsconfig(\..+)?\.json$/.test(name) || /^jest\.config(\..+)?\.[cm]?[jt]s(on)?$/.test(name) || /^jest-e2e\.json$/.test(name);
}

const HOST_STATE_DIRS = new Set(['data', 'plugins', 'frontend-plugins']);
const SECRET_FILES = /^(admin-token|id_(rsa|dsa|ecdsa|ed25519)(\.pub)?|.*\.(pem|key|p12|pfx|crt|keystore|jks|sqlite3?|db))$/i;

/** Host state (a data folder, an embedded database, installed plugins) and key or token files: never shipped. */
export function isPrivate(path: string, isDirectory: boolean): boolean {
  return isDirectory ? !path.includes('/') && HOST_STATE_DIRS.has(path) : SECRET_FILES.test(basename(path));
}

/**
 * Builds the zip `appnest install` takes: the backend precompiled to CommonJS with the loader's own
 * swc settings (`x.ts` becomes `x.js`; imports stay as written, the loader resolves them), its
 * production npm dependencies as npm installed them (shared packages left out: the host gives its
 * own), every other file as is. The same sources give the same bytes. The zip is checked by the
 * same archive installer an install goes through, and its backend imported from there, as an
 * enable would, so a zip that would not load is never written.
 */
export async function packPlugin(dir: string, options: PackOptions = {}): Promise<PackResult> {
  const root = resolve(dir);
  if (!existsSync(root)) throw new PluginError('PLG_BAD_REQUEST', `No plugin folder '${dir}'.`, { hint: 'Give the path of a plugin folder: appnest pack plugins/demo' });
  const plugin = readPluginFolder(root, 'plugins');
  if (plugin.error) throw plugin.error;
  const work = mkdtempSync(join(tmpdir(), 'appnest-pack-'));
  try {
    const leftOut: string[] = [];
    const paths = listPluginFiles(root, (path, isDirectory) => {
      if (isPrivate(path, isDirectory)) {
        leftOut.push(isDirectory ? `${path}/` : path);
        return true;
      }
      return isAuthoringOnly(path, isDirectory);
    });
    const sources = paths.filter((p) => /\.[cm]?[jt]sx?$/.test(p)).map((p) => [p, readFileSync(join(root, p), 'utf8')] as const);
    const importerOf = (name: string) => sources.find(([, text]) => importsPackage(text, name))?.[0];
    const dependencies = productionDependencies(root, plugin.id, importerOf);
    options.onStep?.(`Compiling ${paths.filter((p) => TYPESCRIPT.test(p)).length} TypeScript file(s) of '${plugin.id}'`);
    const zip = new AdmZip();
    const compiled = addPluginFiles(zip, root, plugin.id, paths, new PluginCompiler(work));
    if (dependencies.length) options.onStep?.(`Adding ${dependencies.length} npm package(s)`);
    addDependencies(zip, root, plugin.id, dependencies);
    const archive = zip.toBuffer();
    options.onStep?.(`Checking ${plugin.id}.zip with the install rules and importing its backend`);
    await checkArchive(archive, plugin.id, work);
    const file = resolve(options.out ?? `${plugin.id}-${plugin.version}.zip`);
    writeFileSync(file, archive);
    return {
      id: plugin.id,
      version: plugin.version,
      file,
      sha256: createHash('sha256').update(archive).digest('hex'),
      files: zip.getEntries().length,
      compiled,
      bytes: archive.length,
      dependencies: dependencies.map(({ name, version }) => ({ name, version })),
      leftOut,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Whether source text imports or requires package `name` (or a subpath of it). */
function importsPackage(text: string, name: string): boolean {
  const quoted = name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`(from\\s*|require\\(\\s*|import\\(\\s*|import\\s+)['"]${quoted}(/[^'"]*)?['"]`).test(text);
}

function addEntry(zip: AdmZip, name: string, content: Buffer): void {
  zip.addFile(name, content, '', ENTRY_ATTR);
  const entry = zip.getEntry(name)!;
  entry.header.time = ENTRY_TIME;
}

function addPluginFiles(zip: AdmZip, root: string, id: string, paths: string[], compiler: PluginCompiler): number {
  const names = new Set(paths);
  let compiled = 0;
  for (const path of paths) {
    const file = join(root, path);
    if (!TYPESCRIPT.test(path)) {
      addEntry(zip, `${id}/${path}`, readFileSync(file));
      continue;
    }
    const target = path.replace(TYPESCRIPT, '.js');
    if (names.has(target)) {
      throw new PluginError('PLG_BAD_REQUEST', `Plugin '${id}' has both ${path} and ${target}; the compiled ${path} would replace ${target}.`, {
        pluginId: id,
        hint: `Remove or rename one of them.`,
      });
    }
    names.add(target);
    addEntry(zip, `${id}/${target}`, Buffer.from(compiler.compileRelocatable(file, id)));
    compiled++;
  }
  return compiled;
}

function addDependencies(zip: AdmZip, root: string, id: string, dependencies: VendoredPackage[]): void {
  for (const pkg of dependencies) {
    for (const path of packageFiles(root, pkg)) addEntry(zip, `${id}/${path}`, readFileSync(join(root, path)));
  }
}

/** Stages the zip as an install would, then imports its backend from there: what ships must load on its own. */
async function checkArchive(archive: Buffer, id: string, work: string): Promise<void> {
  const installer = new PluginArchiveInstaller({ pluginsDir: join(work, 'plugins'), stagingDir: join(work, 'staging') });
  const staged = await installer.stage(archive, `${id}.zip`);
  try {
    const plugin = readPluginFolder(staged.dir, 'plugins', id);
    if (plugin.markerFile) new PluginLoader(new PluginCompiler(join(work, 'cache'))).loadBackend(plugin);
  } finally {
    await staged.discard();
  }
}
