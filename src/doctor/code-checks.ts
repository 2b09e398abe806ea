import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultNamingStrategy, getMetadataArgsStorage } from 'typeorm';
import { HOST_ENTITIES } from '../database/host-entities';
import type { DiscoveredPlugin } from '../discovery/plugin-scanner';
import { PluginError } from '../errors/plugin-error';
import type { PluginCompiler } from '../loader/plugin-compiler';
import type { LoadedBackend, PluginLoader } from '../loader/plugin-loader';
import { ACTION_METADATA } from '../sdk/action.decorator';
import { errorFinding, findingOf, warningFinding, type Finding } from './doctor-finding';

const NOT_BACKEND = new Set(['node_modules', 'frontend', 'web']);

/** Every TypeScript file of the backend: not node_modules, frontend/, web/ or dot folders; no .d.ts. */
export function typescriptFiles(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || NOT_BACKEND.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...typescriptFiles(path));
    else if (/\.(ts|tsx|mts|cts)$/.test(name) && !name.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

/** Compiles every TypeScript file; returns true when all compile. */
export function checkCompile(plugin: DiscoveredPlugin, compiler: PluginCompiler, findings: Finding[]): boolean {
  let ok = true;
  for (const file of typescriptFiles(plugin.dir)) {
    try {
      compiler.compile(file, plugin.id);
    } catch (err) {
      if (!(err instanceof PluginError)) throw err;
      findings.push(findingOf(err, plugin.id));
      ok = false;
    }
  }
  return ok;
}

/** Imports the backend as an enable would (its top-level code runs) and finds its module and entities. */
export function checkImport(plugin: DiscoveredPlugin, loader: PluginLoader, findings: Finding[]): LoadedBackend | undefined {
  try {
    return loader.loadBackend(plugin);
  } catch (err) {
    if (!(err instanceof PluginError)) throw err;
    findings.push(findingOf(err, plugin.id));
    return undefined;
  }
}

function hostTables(): Set<string> {
  const naming = new DefaultNamingStrategy();
  const hostClasses = new Set<unknown>(HOST_ENTITIES);
  return new Set(
    getMetadataArgsStorage()
      .tables.filter((t) => hostClasses.has(t.target))
      .map((t) => naming.tableName((t.target as Function).name, t.name)),
  );
}

/** Entity tables: never a host table, always prefixed with the plugin id (dashes as underscores). */
export function checkTables(plugin: DiscoveredPlugin, backend: LoadedBackend, findings: Finding[]): void {
  const prefix = plugin.id.replace(/-/g, '_');
  const host = hostTables();
  for (const { target, table } of backend.entities) {
    if (host.has(table)) {
      findings.push(errorFinding('PLG_TABLE_CONFLICT', plugin.id, `Plugin '${plugin.id}': entity ${target.name} uses table '${table}', which the host owns.`, `Name the table '${prefix}_${table}'.`));
    } else if (!table.startsWith(prefix)) {
      findings.push(
        warningFinding(
          'PLG_TABLE_PREFIX',
          plugin.id,
          `Plugin '${plugin.id}': entity ${target.name} uses table '${table}', which does not start with '${prefix}'.`,
          `Name it '${prefix}_${table}' (@Entity({ name: '${prefix}_${table}' })) so it cannot collide with another plugin's.`,
        ),
      );
    }
  }
}

/** plugin.json "actions" and the @Action methods of the plugin's classes match one to one. */
export function checkActions(plugin: DiscoveredPlugin, backend: LoadedBackend, findings: Finding[]): void {
  const marked = new Map<string, string>();
  for (const cls of backend.code.ownClasses) {
    for (const name of Object.getOwnPropertyNames(cls.prototype ?? {})) {
      const method = Object.getOwnPropertyDescriptor(cls.prototype, name)?.value as unknown;
      const action = typeof method === 'function' ? (Reflect.getMetadata(ACTION_METADATA, method) as string | undefined) : undefined;
      if (action === undefined) continue;
      const where = `${cls.name}.${name}()`;
      const first = marked.get(action);
      if (first)
        findings.push(errorFinding('PLG_ACTION_DUPLICATE', plugin.id, `Plugin '${plugin.id}' marks both ${first} and ${where} as action '${action}'.`, 'Give each @Action() method its own id.'));
      else marked.set(action, where);
    }
  }
  const declared = new Set((plugin.descriptor.actions ?? []).map((a) => a.id));
  for (const id of declared) {
    if (!marked.has(id)) {
      findings.push(
        errorFinding(
          'PLG_ACTION_NOT_FOUND',
          plugin.id,
          `Plugin '${plugin.id}' declares action '${id}' in plugin.json, but no provider method is marked @Action('${id}').`,
          `Mark the method that runs it with @Action('${id}') from 'appnest'.`,
        ),
      );
    }
  }
  for (const [id, where] of marked) {
    if (!declared.has(id)) {
      findings.push(
        warningFinding(
          'PLG_ACTION_NOT_FOUND',
          plugin.id,
          `Plugin '${plugin.id}': ${where} is marked @Action('${id}'), which plugin.json does not declare; it cannot be run.`,
          `Add { "id": "${id}", "label": "..." } to "actions" in plugin.json.`,
        ),
      );
    }
  }
}
