import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DefaultNamingStrategy, getMetadataArgsStorage, type MigrationInterface } from 'typeorm';
import type { DiscoveredPlugin } from '../discovery/plugin-scanner';
import { PluginError, toPluginError } from '../errors/plugin-error';
import { listPluginFiles } from '../discovery/plugin-files';
import type { INestApplication } from '@nestjs/common';
import { refuseOwnDataSource } from './module-imports';
import { PluginCodeLoader } from './plugin-code-loader';
import type { PluginCompiler } from './plugin-compiler';
import { findModuleClass, ownModuleClasses, pluginRoutes, routeCollision, type PluginRoute } from './plugin-inspector';

export interface PluginEntity {
  target: Function;
  table: string;
}

export interface PluginMigrationFile {
  /** The file name without extension: the ledger key and the order. */
  name: string;
  file: string;
  checksum: string;
}

/** A plugin's backend, imported and inspected, ready to be started as a plugin application. */
export interface LoadedBackend {
  moduleClass: Function;
  /** The plugin's own module classes (its routes are mounted under its prefix). */
  modules: Function[];
  entities: PluginEntity[];
  routes: PluginRoute[];
  code: PluginCodeLoader;
  /** The `configure(app)` the marker file exports: what the plugin's main.ts would do to its application. */
  configure?: (app: INestApplication) => unknown;
}

const naming = new DefaultNamingStrategy();
export const pluginRoutePrefix = (id: string): string => `api/plugins/${id}`;

/** A request path under a plugin's prefix; the first group is the plugin id, as sent. */
export const PLUGIN_PATH = new RegExp(`^/${pluginRoutePrefix('([^/?#]+)')}(?:[/?#]|$)`);

/** Imports a plugin's backend (compiling it on demand) and finds what it contributes. */
export class PluginLoader {
  constructor(private readonly compiler: PluginCompiler) {}

  /**
   * A fresh registry for the plugin's code (used alone to run migrations of a plugin that is not
   * active). `digests`: the content digest of each file as its folder was scanned (the registry's
   * fileDigests), which finds compiled files in the cache without reading them again.
   */
  codeLoader(plugin: DiscoveredPlugin, digests?: ReadonlyMap<string, string>): PluginCodeLoader {
    return new PluginCodeLoader(plugin.id, plugin.dir, this.compiler, digests);
  }

  /**
   * Compiles the backend sources of `plugins` into the cache ahead of loading them, several at a
   * time (see PluginCompiler.precompile): what a cold start of many plugins waits for.
   */
  async precompile(plugins: DiscoveredPlugin[], digests?: ReadonlyMap<string, string>): Promise<number> {
    const files = plugins.flatMap((plugin) => {
      try {
        return plugin.backendRoot ? backendSources(plugin.backendRoot, plugin.frontendRoot) : [];
      } catch {
        return []; // a folder that cannot be listed fails when the plugin loads, with its name
      }
    });
    return this.compiler.precompile(files, digests && ((file) => digests.get(file)));
  }

  /** `digests` as in codeLoader(). */
  loadBackend(plugin: DiscoveredPlugin, digests?: ReadonlyMap<string, string>): LoadedBackend {
    if (!plugin.markerFile) throw new PluginError('PLG_INTERNAL', `Plugin '${plugin.id}' has no backend to load.`, { pluginId: plugin.id });
    const code = this.codeLoader(plugin, digests);
    const tables = getMetadataArgsStorage().tables;
    const tablesBefore = tables.length;
    let moduleExports: unknown;
    try {
      moduleExports = code.load(plugin.markerFile);
    } catch (err) {
      const at = err instanceof PluginError ? undefined : code.locate(err);
      throw toPluginError(err, 'PLG_IMPORT_FAILED', plugin.id, `threw while its code was imported${at ? ` (at ${at})` : ''}`);
    }
    const moduleClass = findModuleClass(moduleExports);
    if (!moduleClass) {
      throw new PluginError('PLG_NO_MODULE', `Plugin '${plugin.id}': ${basename(plugin.markerFile)} exports no @Module class.`, {
        pluginId: plugin.id,
        hint: 'Export the plugin root module, e.g. `export class NotesModule {}` decorated with @Module({...}).',
      });
    }
    const entities = tables.slice(tablesBefore).map((args) => ({
      target: args.target as Function,
      table: naming.tableName((args.target as Function).name, args.name),
    }));
    const modules = ownModuleClasses(moduleClass, code.ownClasses);
    refuseOwnDataSource(plugin.id, modules);
    const collision = routeCollision(pluginRoutePrefix(plugin.id), modules);
    if (collision) {
      const [first, second] = collision;
      throw new PluginError('PLG_ROUTE_CONFLICT', `Plugin '${plugin.id}': ${second.handler} and ${first.handler} both answer ${first.method} ${first.path}.`, {
        pluginId: plugin.id,
        hint: 'Give one of the two handlers another path or method.',
        details: { route: `${first.method} ${first.path}`, handlers: [first.handler, second.handler] },
      });
    }
    const configure = (moduleExports as { configure?: unknown } | undefined)?.configure;
    return {
      moduleClass,
      modules,
      entities,
      routes: pluginRoutes(pluginRoutePrefix(plugin.id), modules),
      code,
      configure: typeof configure === 'function' ? (configure as LoadedBackend['configure']) : undefined,
    };
  }
}

const SOURCE_FILE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
const NOT_LOADED_AT_START = /(\.d\.ts|\.(spec|test)\.[cm]?[jt]sx?)$/;
const TOP_LEVEL_SKIPPED = new Set(['test', 'tests', 'migrations', 'frontend']);

/**
 * The source files a start is likely to import: everything under the backend folder but its
 * dependencies, dot folders, frontend, tests and migrations (which load only when pending).
 */
function backendSources(dir: string, frontendRoot: string | undefined): string[] {
  const skip = (path: string, isDirectory: boolean): boolean =>
    isDirectory ? TOP_LEVEL_SKIPPED.has(path) || join(dir, path) === frontendRoot : !SOURCE_FILE.test(path) || NOT_LOADED_AT_START.test(path);
  return listPluginFiles(dir, skip).map((path) => join(dir, path));
}

/** The migrations folder of a plugin: beside the marker, else at the plugin root. */
export function migrationsDirOf(plugin: DiscoveredPlugin): string | undefined {
  const candidates = [plugin.backendRoot && join(plugin.backendRoot, 'migrations'), join(plugin.dir, 'migrations')];
  return candidates.find((dir): dir is string => !!dir && existsSync(dir));
}

/** The plugin's migration files in name order, with checksums. Reads files only. */
export function listMigrationFiles(plugin: DiscoveredPlugin): PluginMigrationFile[] {
  const dir = migrationsDirOf(plugin);
  if (!dir) return [];
  const files = readdirSync(dir)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !/\.(spec|test)\.(ts|js)$/.test(f))
    .sort();
  const byName = new Map<string, string>();
  const result: PluginMigrationFile[] = [];
  for (const f of files) {
    const name = f.replace(/\.(ts|js)$/, '');
    const previous = byName.get(name);
    if (previous) {
      throw new PluginError('PLG_MIGRATION_DUPLICATE', `Plugin '${plugin.id}' has two migrations named '${name}' (${previous} and ${f}).`, {
        pluginId: plugin.id,
        hint: 'Keep one file per migration name; remove the stale copy.',
      });
    }
    byName.set(name, f);
    const file = join(dir, f);
    result.push({ name, file, checksum: createHash('sha256').update(readFileSync(file)).digest('hex') });
  }
  return result;
}

/** Imports a migration file and instantiates its MigrationInterface class. */
export function instantiateMigration(code: PluginCodeLoader, migration: PluginMigrationFile): MigrationInterface {
  let moduleExports: unknown;
  try {
    moduleExports = code.load(migration.file);
  } catch (err) {
    throw toPluginError(err, 'PLG_MIGRATION_FAILED', code.pluginId, `migration '${migration.name}' threw on import`);
  }
  const classes = Object.values((moduleExports ?? {}) as Record<string, unknown>).filter(
    (v): v is new () => MigrationInterface => typeof v === 'function' && typeof (v as Function).prototype?.up === 'function',
  );
  if (classes.length !== 1) {
    throw new PluginError('PLG_MIGRATION_FAILED', `Plugin '${code.pluginId}': migration '${migration.name}' must export exactly one class with up() and down(); found ${classes.length}.`, {
      pluginId: code.pluginId,
      hint: 'Write migrations as TypeORM MigrationInterface classes, one per file.',
    });
  }
  return new classes[0]();
}
