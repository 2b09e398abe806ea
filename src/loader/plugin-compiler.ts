import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, extname, join } from 'node:path';
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
const SWC_VERSION = (require('@swc/core/package.json') as { version: string }).version;
const OPTIONS_FINGERPRINT = createHash('sha256').update(`${SWC_VERSION}:${JSON.stringify(SWC_OPTIONS)}`).digest('hex').slice(0, 12);

/**
 * Compiles plugin TypeScript (and ESM JavaScript) to CommonJS with decorator metadata, one file at
 * a time, cached in the data folder by content hash so a file is compiled once across restarts.
 */
export class PluginCompiler {
  private readonly cacheDir: string;
  private writes = 0;

  constructor(dataDir: string) {
    this.cacheDir = join(dataDir, 'compile-cache');
    mkdirSync(this.cacheDir, { recursive: true });
  }

  /** Returns the CommonJS code for `file`, compiling it unless the cache has it. */
  compile(file: string, pluginId: string): string {
    const source = readFileSync(file, 'utf8');
    const cached = this.cachePath(file, source);
    if (existsSync(cached)) return readFileSync(cached, 'utf8');
    let code: string;
    try {
      code = swc().transformSync(source, optionsFor(file)).code;
    } catch (err) {
      throw new PluginError('PLG_COMPILE_FAILED', `Plugin '${pluginId}' does not compile: ${describeSwcError(err, file)}`, {
        pluginId,
        hint: 'Fix the syntax error at the file and line named, then reload the plugin.',
        cause: err,
        details: { file },
      });
    }
    this.store(cached, code);
    return code;
  }

  /**
   * Fills the cache for `files` ahead of loading, on swc's worker threads (several files at
   * once), so a cold start does not compile them one by one on the main thread. A file that does
   * not compile (or cannot be read) is left out: loading it reports the error with the plugin's
   * name. Never throws; returns how many files were compiled.
   */
  async precompile(files: string[]): Promise<number> {
    const pending = [...files];
    let compiled = 0;
    const worker = async (): Promise<void> => {
      for (let file = pending.shift(); file; file = pending.shift()) {
        try {
          const source = readFileSync(file, 'utf8');
          const cached = this.cachePath(file, source);
          if (existsSync(cached)) continue;
          this.store(cached, (await swc().transform(source, optionsFor(file))).code);
          compiled++;
        } catch {
          // An unreadable or broken file is reported by compile() when it is loaded.
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(pending.length, availableParallelism() + 1) }, worker));
    return compiled;
  }

  private cachePath(file: string, source: string): string {
    const hash = createHash('sha256').update(OPTIONS_FINGERPRINT).update('\0').update(file).update('\0').update(source).digest('hex');
    return join(this.cacheDir, hash.slice(0, 2), `${hash}.js`);
  }

  /** Writes a cache entry whole or not at all. */
  private store(cached: string, code: string): void {
    mkdirSync(dirname(cached), { recursive: true });
    const partial = `${cached}.${process.pid}.${++this.writes}.tmp`;
    writeFileSync(partial, code);
    renameSync(partial, cached);
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
  const reason = /^\s*[x×]\s+(.+)$/m.exec(text)?.[1] ?? text.split('\n').find((l) => l.trim())?.trim() ?? 'syntax error';
  return `${reason} at ${location}`;
}
