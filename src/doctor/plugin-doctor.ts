import { basename, resolve } from 'node:path';
import type { PluginCompiler } from '../loader/plugin-compiler';
import { PluginLoader } from '../loader/plugin-loader';
import { checkActions, checkCompile, checkImport, checkTables } from './code-checks';
import { checkSharedPackages } from './dependency-checks';
import { checkDescriptor } from './descriptor-checks';
import { errorFinding, type Finding } from './doctor-finding';
import { checkManifest } from './manifest-checks';
import { checkMigrations } from './migration-checks';

export interface PluginCheckup {
  pluginId: string;
  dir: string;
  findings: Finding[];
}

/**
 * Checks plugin folders without enabling them: descriptor, marker, shared package versions, compile, import (the plugin's
 * top-level code runs, to read its TypeORM entities and @Action methods), table names, migrations,
 * frontend manifest. Every check is a small function adding findings; one failing check never
 * hides the others, except that code which does not compile is not imported.
 */
export class PluginDoctor {
  private readonly loader: PluginLoader;
  private readonly seen = new Map<string, string>();

  constructor(private readonly compiler: PluginCompiler) {
    this.loader = new PluginLoader(compiler);
  }

  check(folder: string): PluginCheckup {
    const dir = resolve(folder);
    const findings: Finding[] = [];
    const plugin = checkDescriptor(dir, findings);
    if (!plugin) return { pluginId: basename(dir), dir, findings };
    const first = this.seen.get(plugin.id);
    if (first) findings.push(errorFinding('PLG_DUPLICATE_ID', plugin.id, `Plugin id '${plugin.id}' in '${dir}' is already used by '${first}'; the host ignores the second.`));
    this.seen.set(plugin.id, dir);
    checkSharedPackages(plugin, findings);
    const compiled = checkCompile(plugin, this.compiler, findings);
    const backend = compiled && plugin.markerFile && !plugin.error ? checkImport(plugin, this.loader, findings) : undefined;
    if (backend) {
      checkTables(plugin, backend, findings);
      checkActions(plugin, backend, findings);
    }
    checkMigrations(plugin, compiled ? (backend?.code ?? this.loader.codeLoader(plugin)) : undefined, findings);
    checkManifest(plugin, findings);
    return { pluginId: plugin.id, dir, findings };
  }
}
