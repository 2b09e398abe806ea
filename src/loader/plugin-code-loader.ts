import { readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { runInThisContext, Script } from 'node:vm';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { PluginError } from '../errors/plugin-error';
import type { CompiledFile, PluginCompiler } from './plugin-compiler';
import { firstFrameIn, formatPosition, missingImports, originalPosition } from './import-diagnostics';
import { packageNameOf, resolvePackage } from './package-resolver';
import { sharedPackageOf, SDK_PACKAGE } from './shared-modules';

interface LoadedFile {
  exports: unknown;
}

const SOURCE_EXTENSIONS = ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'];

/** Shared packages by import name: resolving one again for every plugin file is a large part of loading it. */
const sharedExports = new Map<string, unknown>();

/** Modules of the host that plugin code reaches by a package name, given by their owners (`appnest/testing`). */
const providedModules = new Map<string, () => unknown>();

/** Makes `load()` what plugin code gets for `request` (e.g. `appnest/testing`, provided by the test runners). */
export function provideSharedModule(request: string, load: () => unknown): void {
  providedModules.set(request, load);
}

/** Resolves a shared package to the host's own instance. */
function requireShared(request: string): unknown {
  let exports = sharedExports.get(request);
  if (exports === undefined) {
    const provided = providedModules.get(request);
    if (request === SDK_PACKAGE) exports = require('../sdk');
    else if (provided) exports = provided();
    else if (request.startsWith(`${SDK_PACKAGE}/`)) {
      throw new PluginError('PLG_PACKAGE_MISSING', `'${request}' is for a plugin's tests, run by appnest test or Jest, not for code a host runs.`, {
        hint: `Import '${request}' only from test files (*.spec.ts, *.e2e-spec.ts, *.test.ts).`,
        details: { package: request },
      });
    } else exports = require(request);
    sharedExports.set(request, exports);
  }
  return exports;
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

/** Whether this code runs in Node's main context, where vm scripts run (not so under a test runner's sandbox). */
const IN_MAIN_CONTEXT = runInThisContext('globalThis') === globalThis;

const IN_NODE_MODULES = /[\\/]node_modules[\\/]/;

type LocalRequire = NodeRequire;

/**
 * Loads one plugin's code: its own CommonJS registry, so a reload never sees a stale module and
 * the previous code is dropped with its loader. The plugin's own files are compiled on demand and
 * their relative imports may not leave the plugin folder. Its npm dependencies (its node_modules)
 * load into the same registry, ESM ones turned into CommonJS, so every file loaded on the
 * plugin's behalf gets the host's copy of a shared package. A package the plugin does not ship
 * comes from the host, or fails with PLG_PACKAGE_MISSING naming the importing file.
 */
export class PluginCodeLoader {
  private readonly registry = new Map<string, LoadedFile>();
  /** Every class exported by a file of this plugin (not of its dependencies). */
  readonly ownClasses = new Set<Function>();
  /** The plugin folder as given and as Node's resolver names it (links resolved). */
  private readonly roots: string[];

  constructor(
    readonly pluginId: string,
    readonly pluginDir: string,
    private readonly compiler: PluginCompiler,
    /** The content digest of the plugin's files as scanned (see PluginLoader.codeLoader). */
    private readonly digests?: ReadonlyMap<string, string>,
  ) {
    this.roots = [...new Set([pluginDir, realpathSync.native(pluginDir)])].map((dir) => dir + sep);
  }

  private isInside(file: string): boolean {
    return this.roots.some((root) => file.startsWith(root));
  }

  /** Imports `file` (absolute) and returns its exports. */
  load(file: string): unknown {
    const existing = this.registry.get(file);
    if (existing) return existing.exports;
    const record: LoadedFile = { exports: {} };
    this.registry.set(file, record);
    const ext = extname(file);
    if (ext === '.json') {
      record.exports = JSON.parse(readFileSync(file, 'utf8'));
      return record.exports;
    }
    if (ext === '.node') {
      record.exports = require(file);
      return record.exports;
    }
    const dependency = IN_NODE_MODULES.test(file);
    const module = { exports: {} as unknown, id: file, filename: file, loaded: false, children: [], paths: [] as string[], require: undefined as unknown };
    const localRequire = this.localRequire(file, dependency);
    module.require = localRequire;
    const compiled = dependency ? this.compiler.compiledDependency(file, this.pluginId) : this.compiler.compiled(file, this.pluginId, this.digests?.get(file));
    this.evaluate(file, compiled).call(module.exports, module.exports, localRequire, module, file, dirname(file));
    module.loaded = true;
    record.exports = module.exports;
    if (!dependency) {
      this.checkNamedImports(file, compiled.code);
      this.collectClasses(module.exports);
    }
    return record.exports;
  }

  /** Refuses a named import of a plugin file that the imported file does not export, naming both and the line. */
  private checkNamedImports(file: string, code: string): void {
    const exportsOf = (request: string): object | undefined => {
      const target = this.registry.get(this.resolveRelative(request, dirname(file)))?.exports as { __esModule?: boolean } | undefined;
      return target && typeof target === 'object' && target.__esModule ? target : undefined;
    };
    const [first] = missingImports(file, code, exportsOf);
    if (!first) return;
    throw new PluginError(
      'PLG_IMPORT_FAILED',
      `Plugin '${this.pluginId}': ${formatPosition(this.pluginDir, first.position)} imports '${first.name}' from '${first.request}', which does not export it.`,
      {
        pluginId: this.pluginId,
        hint: `Check the spelling, or export '${first.name}' from '${first.request}'.`,
        details: { file: relative(this.pluginDir, file), line: first.position.line, column: first.position.column },
      },
    );
  }

  /**
   * Where in the plugin's sources `err` was thrown (`config.ts:5:23`), from the first stack frame
   * in one of its files, mapped back to the TypeScript; undefined when no frame is the plugin's.
   */
  locate(err: unknown): string | undefined {
    const frame = firstFrameIn((err as Error | undefined)?.stack, new Set(this.registry.keys()));
    if (!frame) return undefined;
    if (process.sourceMapsEnabled || IN_NODE_MODULES.test(frame.file)) return formatPosition(this.pluginDir, frame);
    const code = this.compiler.compiled(frame.file, this.pluginId, this.digests?.get(frame.file)).code;
    return formatPosition(this.pluginDir, originalPosition(code, frame.file, frame.line, frame.column));
  }

  /** The `require` a file at `file`, of the plugin or of its dependencies, is given. */
  requireFor(file: string): NodeRequire {
    return this.localRequire(file, IN_NODE_MODULES.test(file));
  }

  private localRequire(file: string, dependency: boolean): LocalRequire {
    const resolveFor = (request: string): string => this.resolve(request, file, dependency);
    const local = ((request: string): unknown => {
      if (request.startsWith('node:') || isBuiltin(request)) return require(request);
      if (sharedPackageOf(request)) return requireShared(request);
      const resolved = resolveFor(request);
      return this.isInside(resolved) ? this.load(resolved) : require(resolved);
    }) as LocalRequire;
    local.resolve = ((request: string) => {
      if (request.startsWith('node:') || isBuiltin(request)) return request;
      return sharedPackageOf(request) ? require.resolve(request) : resolveFor(request);
    }) as LocalRequire['resolve'];
    local.cache = Object.create(null) as NodeRequire['cache'];
    local.main = require.main;
    return local;
  }

  /**
   * Where `request` from `file` leads: relative imports of the plugin's own files stay inside the
   * plugin folder; a dependency's are Node's. A package comes from the plugin's node_modules
   * first, then from the host's.
   */
  private resolve(request: string, file: string, dependency: boolean): string {
    if (request.startsWith('.') || isAbsolute(request)) {
      return dependency ? createRequire(file).resolve(request) : this.resolveRelative(request, dirname(file));
    }
    const own = resolvePackage(request, file);
    if (own && this.isInside(own)) return own;
    try {
      return require.resolve(request);
    } catch {
      throw this.missingPackage(request, file);
    }
  }

  private missingPackage(request: string, file: string): PluginError {
    const name = packageNameOf(request);
    return new PluginError(
      'PLG_PACKAGE_MISSING',
      `Plugin '${this.pluginId}' imports '${request}' in ${relative(this.pluginDir, file)}, but package '${name}' is neither installed with the plugin nor shared by the host.`,
      {
        pluginId: this.pluginId,
        hint: `Add '${name}' to "dependencies" in the plugin's package.json, run npm install in the plugin folder, and pack it again: appnest pack ships production dependencies.`,
        details: { file: relative(this.pluginDir, file), package: name },
      },
    );
  }

  /**
   * Compiles a file's CommonJS wrapper in the host's own realm (one Reflect, one set of
   * intrinsics). The wrapper shares the first line with the code, as Node's own does, so lines
   * map 1:1. With source maps on (`appnest dev`, `node --enable-source-maps`), indirect eval lets
   * Node map stack lines to the TypeScript; otherwise a vm script uses and keeps V8's code cache
   * beside the compiled file, which spares later starts most of the parsing.
   */
  private evaluate(file: string, compiled: CompiledFile): Function {
    const wrapper = `(function (exports, require, module, __filename, __dirname) {${compiled.code}\n})`;
    if (process.sourceMapsEnabled || !IN_MAIN_CONTEXT) return (0, eval)(`${wrapper}\n//# sourceURL=${file}`) as Function;
    const cachedData = this.compiler.codeCacheOf(compiled);
    const script = new Script(wrapper, { filename: file, cachedData });
    if (!cachedData || script.cachedDataRejected) this.compiler.keepCodeCache(compiled, script);
    return script.runInThisContext() as Function;
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
