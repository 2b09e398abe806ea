import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { Script } from 'node:vm';
import { basename, dirname, extname, join } from 'node:path';
import type { Options } from '@swc/core';
import { PluginError } from '../errors/plugin-error';

const SWC_OPTIONS: Options = {
  jsc: {
    target: 'es2022',
    keepClassNames: true,
    transform: { legacyDecorator: true, decoratorMetadata: true },
  },
  module: { type: 'commonjs', strict: false },
  sourceMaps: 'inline',
  swcrc: false,
  configFile: false,
};
/** ESM files of a plugin's npm dependencies: plain JavaScript to CommonJS, with babel-style interop. */
const DEPENDENCY_OPTIONS: Options = {
  jsc: { target: 'es2022', keepClassNames: true, parser: { syntax: 'ecmascript' } },
  module: { type: 'commonjs', strict: false },
  swcrc: false,
  configFile: false,
};
const SWC_VERSION = (require('@swc/core/package.json') as { version: string }).version;
const OPTIONS_FINGERPRINT = createHash('sha256')
  .update(`${SWC_VERSION}:${JSON.stringify(SWC_OPTIONS)}:${JSON.stringify(DEPENDENCY_OPTIONS)}`)
  .digest('hex')
  .slice(0, 12);

/** How long loading must have been quiet before this process writes its new cache entries. */
const QUIET_MS = 1000;

/** A file's CommonJS code, and where it is cached. */
export interface CompiledFile {
  code: string;
  cacheFile: string;
}

/**
 * Compiles plugin TypeScript (and ESM JavaScript) to CommonJS with decorator metadata, one file at
 * a time, cached in the data folder by content hash so a file is compiled once across restarts.
 * Beside a cached file the loader may keep V8's code cache for it, so a later start skips parsing.
 *
 * Entries made by a batch (precompile) and code caches are written once loading has been quiet for
 * a second, or at flushCaches(): a start does not wait for the disk, and a code cache taken then
 * also holds the functions that ran while the plugins started.
 */
export class PluginCompiler {
  private readonly cacheDir: string;
  private writes = 0;
  /** Compiled code not on disk yet, by cache file. */
  private readonly unwrittenCode = new Map<string, string>();
  /** Scripts whose code cache is not on disk yet, by code cache file. */
  private readonly unwrittenCodeCaches = new Map<string, Script>();
  private quietTimer?: NodeJS.Timeout;

  constructor(dataDir: string) {
    this.cacheDir = join(dataDir, 'compile-cache');
    mkdirSync(this.cacheDir, { recursive: true });
  }

  /** Returns the CommonJS code for `file`, compiling it unless the cache has it. */
  compile(file: string, pluginId: string): string {
    return this.compiled(file, pluginId).code;
  }

  /**
   * Like compile(), with the cache entry's path. `digest`, the file's content digest as the
   * plugin's folder was last scanned, finds a cached entry without reading the file.
   */
  compiled(file: string, pluginId: string, digest?: string): CompiledFile {
    return this.cached(file, (source) => transform(source, optionsFor(file), pluginId, file, PLUGIN_FAULT), digest);
  }

  /**
   * Compiles a file for a plugin archive, not cached: its inline source map names the source by
   * its file name alone (relative to the compiled file beside it), so the output is the same in
   * any folder on any machine.
   */
  compileRelocatable(file: string, pluginId: string): string {
    return transform(readFileSync(file, 'utf8'), { ...optionsFor(file), filename: basename(file) }, pluginId, file, PLUGIN_FAULT);
  }

  /**
   * The CommonJS code of a file of a plugin's npm dependencies: CommonJS as it is, ESM turned into
   * CommonJS (cached like plugin files) so it loads into the plugin's own registry.
   */
  compiledDependency(file: string, pluginId: string): CompiledFile {
    if (!isModuleFile(file)) {
      const bytes = readFileSync(file);
      const source = bytes.toString('utf8');
      return { code: source.startsWith('#!') ? `//${source}` : source, cacheFile: this.cachePath(file, digestOf(bytes)) };
    }
    return this.cached(file, (source) => transform(source, { ...DEPENDENCY_OPTIONS, filename: file }, pluginId, file, DEPENDENCY_FAULT));
  }

  /** The cached CommonJS code of `file`, made by `make` on a miss and stored; `digest` as in compiled(). */
  private cached(file: string, make: (source: string) => string, digest?: string): CompiledFile {
    if (digest !== undefined) {
      const hit = this.hit(this.cachePath(file, digest));
      if (hit) return hit;
    }
    const bytes = readFileSync(file);
    const cacheFile = this.cachePath(file, digestOf(bytes));
    const hit = this.hit(cacheFile);
    if (hit) return hit;
    const code = make(bytes.toString('utf8'));
    this.store(cacheFile, code);
    return { code, cacheFile };
  }

  private hit(cacheFile: string): CompiledFile | undefined {
    const code = this.unwrittenCode.get(cacheFile) ?? readIfExists(cacheFile)?.toString('utf8');
    return code === undefined ? undefined : { code, cacheFile };
  }

  /** V8's code cache stored for a compiled file, if any. */
  codeCacheOf(compiled: CompiledFile): Buffer | undefined {
    return readIfExists(`${compiled.cacheFile}.v8`);
  }

  /** Keeps the code cache of `script`, the compiled file's wrapper, taken when this process next writes its entries. */
  keepCodeCache(compiled: CompiledFile, script: Script): void {
    this.unwrittenCodeCaches.set(`${compiled.cacheFile}.v8`, script);
    this.writeWhenQuiet();
  }

  /**
   * Compiles `files` ahead of loading, on swc's worker threads (several files at once), so a cold
   * start does not compile them one by one on the main thread. A file that does not compile (or
   * cannot be read) is left out: loading it reports the error with the plugin's name. Never
   * throws; returns how many files were compiled. `knownDigest` gives a file's digest as in
   * compiled(): a file whose entry exists by it is not read.
   */
  async precompile(files: string[], knownDigest?: (file: string) => string | undefined): Promise<number> {
    const pending: { file: string; source: string; cached: string }[] = [];
    const cachedAlready = (cached: string) => this.unwrittenCode.has(cached) || existsSync(cached);
    for (const file of files) {
      try {
        const known = knownDigest?.(file);
        if (known !== undefined && cachedAlready(this.cachePath(file, known))) continue;
        const bytes = readFileSync(file);
        const cached = this.cachePath(file, digestOf(bytes));
        if (!cachedAlready(cached)) pending.push({ file, source: bytes.toString('utf8'), cached });
      } catch {
        // An unreadable file is reported by compile() when it is loaded.
      }
    }
    let compiled = 0;
    const worker = async (): Promise<void> => {
      for (let next = pending.shift(); next; next = pending.shift()) {
        try {
          this.unwrittenCode.set(next.cached, (await swc().transform(next.source, optionsFor(next.file))).code);
          compiled++;
        } catch {
          // A broken file is reported by compile(), with file and line, when it is loaded.
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(pending.length, availableParallelism() + 1) }, worker));
    if (compiled) this.writeWhenQuiet();
    return compiled;
  }

  /** Writes the entries this process has made so far, each whole or not at all; one that fails is made again when next needed. */
  async flushCaches(): Promise<void> {
    clearTimeout(this.quietTimer);
    const code = [...this.unwrittenCode];
    const codeCaches = [...this.unwrittenCodeCaches];
    this.unwrittenCodeCaches.clear();
    await Promise.all([...new Set([...code, ...codeCaches].map(([file]) => dirname(file)))].map((dir) => mkdir(dir, { recursive: true }).catch(() => undefined)));
    await Promise.all([
      ...code.map(async ([file, text]) => {
        await this.storeAsync(file, text);
        if (this.unwrittenCode.get(file) === text) this.unwrittenCode.delete(file);
      }),
      ...codeCaches.map(([file, script]) => this.storeAsync(file, script.createCachedData())),
    ]);
  }

  private writeWhenQuiet(): void {
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => void this.flushCaches(), QUIET_MS).unref();
  }

  /** Where the code of `file` with content `digest` (digestOf its bytes) is cached. */
  private cachePath(file: string, digest: string): string {
    const hash = createHash('sha256').update(OPTIONS_FINGERPRINT).update('\0').update(file).update('\0').update(digest).digest('hex');
    return join(this.cacheDir, hash.slice(0, 2), `${hash}.js`);
  }

  /** A name of its own for a cache entry being written, renamed into place once whole. */
  private partialPath(cached: string): string {
    return `${cached}.${process.pid}.${++this.writes}.tmp`;
  }

  /** Writes a cache entry whole or not at all. */
  private store(cached: string, code: string): void {
    mkdirSync(dirname(cached), { recursive: true });
    const partial = this.partialPath(cached);
    writeFileSync(partial, code);
    renameSync(partial, cached);
  }

  /** store() off the main thread, into an existing folder; a failed write leaves nothing behind. */
  private async storeAsync(cached: string, data: string | Buffer): Promise<void> {
    const partial = this.partialPath(cached);
    try {
      await writeFile(partial, data);
      await rename(partial, cached);
    } catch {
      await rm(partial, { force: true }).catch(() => undefined);
    }
  }
}

const packageTypes = new Map<string, string | undefined>();

/** The "type" of the package.json nearest to `dir` (cached per folder). */
function packageTypeOf(dir: string): string | undefined {
  if (packageTypes.has(dir)) return packageTypes.get(dir);
  const manifest = readIfExists(join(dir, 'package.json'));
  const parent = dirname(dir);
  const type = manifest ? ((JSON.parse(manifest.toString('utf8')) as { type?: string }).type ?? 'commonjs') : parent === dir ? undefined : packageTypeOf(parent);
  packageTypes.set(dir, type);
  return type;
}

/** Whether Node would load a dependency file as an ES module. */
function isModuleFile(file: string): boolean {
  const ext = extname(file);
  if (ext === '.mjs') return true;
  if (ext === '.cjs') return false;
  return packageTypeOf(dirname(file)) === 'module';
}

interface Fault {
  what: string;
  hint: string;
}

const PLUGIN_FAULT: Fault = { what: 'does not compile', hint: 'Fix the syntax error at the file and line named, then reload the plugin.' };
const DEPENDENCY_FAULT: Fault = {
  what: 'has a dependency that does not load as CommonJS',
  hint: 'The package may use top-level await or syntax this host does not support; pick another version or package.',
};

/** swc's transform, its failure a PLG_COMPILE_FAILED naming the plugin, the file and the line. */
function transform(source: string, options: Options, pluginId: string, file: string, fault: Fault): string {
  try {
    return swc().transformSync(source, options).code;
  } catch (err) {
    throw new PluginError('PLG_COMPILE_FAILED', `Plugin '${pluginId}' ${fault.what}: ${describeSwcError(err, file)}`, { pluginId, hint: fault.hint, cause: err, details: { file } });
  }
}

/** A file's content digest, as fingerprintFolder takes it: sha256 of its bytes. */
function digestOf(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function readIfExists(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

// swc is loaded on the first cache miss only: a warm start compiles nothing and should not pay for it.
function swc(): typeof import('@swc/core') {
  return require('@swc/core') as typeof import('@swc/core');
}

function optionsFor(file: string): Options {
  const ext = extname(file);
  const typescript = ext === '.ts' || ext === '.mts' || ext === '.cts' || ext === '.tsx';
  return {
    ...SWC_OPTIONS,
    filename: file,
    jsc: {
      ...SWC_OPTIONS.jsc,
      parser: typescript ? { syntax: 'typescript', decorators: true, tsx: ext === '.tsx' } : { syntax: 'ecmascript', decorators: true, jsx: false },
    },
  };
}

/** swc reports "x Expected ';'" blocks with a ╭─[file:line:col] pointer; keep the first useful lines. */
function describeSwcError(err: unknown, file: string): string {
  const text = String(err instanceof Error ? err.message : err).replace(/\u001b\[[0-9;]*m/g, '');
  const location = /\[([^\]\n]+:\d+:\d+)\]/.exec(text)?.[1] ?? file;
  const reason =
    /^\s*[x×]\s+(.+)$/m.exec(text)?.[1] ??
    text
      .split('\n')
      .find((l) => l.trim())
      ?.trim() ??
    'syntax error';
  return `${reason} at ${location}`;
}
