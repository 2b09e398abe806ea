import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { runInThisContext, Script } from 'node:vm';
import { dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { PluginError } from '../errors/plugin-error';
import type { PluginCompiler } from './plugin-compiler';
import { sharedPackageOf, SDK_PACKAGE } from './shared-modules';

interface LoadedFile {
  exports: unknown;
}

const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'];

/** Shared packages by import name: resolving one again for every plugin file is a large part of loading it. */
const sharedExports = new Map<string, unknown>();

/** Resolves a shared package to the host's own instance. */
function requireShared(request: string): unknown {
  let exports = sharedExports.get(request);
  if (exports === undefined) {
    if (request === SDK_PACKAGE) exports = require('../sdk');
    else if (request === `${SDK_PACKAGE}/testing`) exports = require('../sdk/testing');
    else exports = require(request);
    sharedExports.set(request, exports);
  }
  return exports;
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

/** Whether this code runs in Node's main context, where vm scripts run (not so under a test runner's sandbox). */
const IN_MAIN_CONTEXT = runInThisContext('globalThis') === globalThis;

/**
 * Loads one plugin's code: its own CommonJS registry, so a reload never sees a stale module and
 * the previous code is dropped with its loader. Relative imports are compiled on demand and may
 * not leave the plugin folder; shared packages are the host's; anything else comes from the
 * plugin's node_modules first, then the host's.
 */
export class PluginCodeLoader {
  private readonly registry = new Map<string, LoadedFile>();
  private readonly pluginRequire: NodeRequire;
  /** Every class exported by a file of this plugin. */
  readonly ownClasses = new Set<Function>();

  constructor(
    readonly pluginId: string,
    readonly pluginDir: string,
    private readonly compiler: PluginCompiler,
  ) {
    this.pluginRequire = createRequire(join(pluginDir, 'package.json'));
  }

  /** Imports `file` (absolute) and returns its exports. */
  load(file: string): unknown {
    const existing = this.registry.get(file);
    if (existing) return existing.exports;
    const record: LoadedFile = { exports: {} };
    this.registry.set(file, record);
    if (extname(file) === '.json') {
      record.exports = JSON.parse(readFileSync(file, 'utf8'));
      return record.exports;
    }
    const module = { exports: {} as unknown, id: file, filename: file };
    const localRequire = (request: string): unknown => this.require(request, dirname(file));
    this.evaluate(file).call(module.exports, module.exports, localRequire, module, file, dirname(file));
    record.exports = module.exports;
    this.collectClasses(module.exports);
    return record.exports;
  }

  /**
   * Compiles a file's CommonJS wrapper in the host's own realm (one Reflect, one set of
   * intrinsics). The wrapper shares the first line with the code, as Node's own does, so lines
   * map 1:1. With source maps on (`appnest dev`, `node --enable-source-maps`), indirect eval lets
   * Node map stack lines to the TypeScript; otherwise a vm script uses and keeps V8's code cache
   * beside the compiled file, which spares later starts most of the parsing.
   */
  private evaluate(file: string): Function {
    const compiled = this.compiler.compiled(file, this.pluginId);
    const wrapper = `(function (exports, require, module, __filename, __dirname) {${compiled.code}\n})`;
    if (process.sourceMapsEnabled || !IN_MAIN_CONTEXT) return (0, eval)(`${wrapper}\n//# sourceURL=${file}`) as Function;
    const cachedData = this.compiler.codeCacheOf(compiled);
    const script = new Script(wrapper, { filename: file, cachedData });
    if (!cachedData || script.cachedDataRejected) this.compiler.keepCodeCache(compiled, script);
    return script.runInThisContext() as Function;
  }

  private require(request: string, fromDir: string): unknown {
    if (request.startsWith('.') || isAbsolute(request)) return this.load(this.resolveRelative(request, fromDir));
    if (request.startsWith('node:')) return require(request);
    if (sharedPackageOf(request)) return requireShared(request);
    let resolved: string | undefined;
    try {
      resolved = this.pluginRequire.resolve(request);
    } catch {
      resolved = undefined;
    }
    if (resolved && resolved.startsWith(join(this.pluginDir, 'node_modules'))) return this.pluginRequire(resolved);
    return require(request);
  }

  private resolveRelative(request: string, fromDir: string): string {
    const target = resolve(fromDir, request);
    const candidates: string[] = [];
    if (/\.(c|m)?js$/.test(target)) candidates.push(target.replace(/\.(c|m)?js$/, '.ts'), target);
    else if (extname(target) && SOURCE_EXTENSIONS.includes(extname(target))) candidates.push(target);
    candidates.push(...SOURCE_EXTENSIONS.map((ext) => target + ext), ...['.ts', '.js'].map((ext) => join(target, `index${ext}`)));
    const found = candidates.find(isFile);
    if (!found) {
      throw new PluginError('PLG_IMPORT_FAILED', `Plugin '${this.pluginId}' imports '${request}' from ${relative(this.pluginDir, fromDir) || '.'}, which does not exist.`, {
        pluginId: this.pluginId,
        hint: 'Check the relative import path and the file name.',
      });
    }
    const rel = relative(this.pluginDir, found);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new PluginError('PLG_IMPORT_FAILED', `Plugin '${this.pluginId}' imports '${request}', which is outside the plugin folder.`, {
        pluginId: this.pluginId,
        hint: 'A plugin may import its own files, shared packages and its own node_modules only.',
      });
    }
    return found;
  }

  private collectClasses(exports: unknown): void {
    if (typeof exports === 'function') this.ownClasses.add(exports);
    if (exports && typeof exports === 'object') {
      for (const value of Object.values(exports)) if (typeof value === 'function') this.ownClasses.add(value);
    }
  }
}
