import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import AdmZip from 'adm-zip';
import { PluginArchiveInstaller } from '../archive/plugin-archive-installer';
import { readPluginFolder } from '../discovery/plugin-scanner';
import { PluginError } from '../errors/plugin-error';
import { PluginCompiler } from '../loader/plugin-compiler';
import { listPluginFiles } from './plugin-files';

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
}

const TYPESCRIPT = /\.(ts|tsx|mts|cts)$/;

/** Files the author needs and the host does not: frontend sources, tests and their Jest config, type declarations, tsconfig. */
export function isAuthoringOnly(path: string, isDirectory: boolean): boolean {
  const name = basename(path);
  if (isDirectory) return path === 'web' || name === 'test' || name === 'tests' || name === '__tests__';
  if (/\.(test|spec|e2e-spec)\.[cm]?[jt]sx?$/.test(name) || name.endsWith('.d.ts')) return true;
  return /^tsconfig(\..+)?\.json$/.test(name) || /^jest\.config(\..+)?\.[cm]?[jt]s(on)?$/.test(name) || /^jest-e2e\.json$/.test(name);
}

/**
 * Builds the zip `appnest install` takes: the backend precompiled to CommonJS with the loader's own
 * swc settings (`x.ts` becomes `x.js`; imports stay as written, the loader resolves them), every
 * other file as is, checked by the same archive installer an install goes through.
 */
export async function packPlugin(dir: string, options: PackOptions = {}): Promise<PackResult> {
  const root = resolve(dir);
  if (!existsSync(root)) throw new PluginError('PLG_BAD_REQUEST', `No plugin folder '${dir}'.`, { hint: 'Give the path of a plugin folder: appnest pack plugins/demo' });
  const plugin = readPluginFolder(root, 'plugins');
  if (plugin.error) throw plugin.error;
  const work = mkdtempSync(join(tmpdir(), 'appnest-pack-'));
  try {
    const paths = listPluginFiles(root, isAuthoringOnly);
    options.onStep?.(`Compiling ${paths.filter((p) => TYPESCRIPT.test(p)).length} TypeScript file(s) of '${plugin.id}'`);
    const { zip, compiled } = zipPlugin(root, plugin.id, paths, new PluginCompiler(work));
    const archive = zip.toBuffer();
    options.onStep?.(`Checking ${plugin.id}.zip with the install rules`);
    const installer = new PluginArchiveInstaller({ pluginsDir: join(work, 'plugins'), stagingDir: join(work, 'staging') });
    const staged = await installer.stage(archive, `${plugin.id}.zip`);
    await staged.discard();
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
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function zipPlugin(root: string, id: string, paths: string[], compiler: PluginCompiler): { zip: AdmZip; compiled: number } {
  const zip = new AdmZip();
  const names = new Set(paths);
  let compiled = 0;
  for (const path of paths) {
    const file = join(root, path);
    if (!TYPESCRIPT.test(path)) {
      zip.addFile(`${id}/${path}`, readFileSync(file));
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
    zip.addFile(`${id}/${target}`, Buffer.from(compiler.compile(file, id)));
    compiled++;
  }
  return { zip, compiled };
}
