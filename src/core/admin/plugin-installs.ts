import { readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { LoggerService } from '@nestjs/common';
import { discoverActions, type ActionEntry } from '../../actions/discover-actions';
import { runAction } from '../../actions/run-action';
import { PluginArchiveInstaller, type InstalledPlugin, type StagedPlugin } from '../../archive/plugin-archive-installer';
import type { EntityManager } from 'typeorm';
import { PluginError, toPluginError } from '../../errors/plugin-error';
import type { HostLogger } from '../../logging/host-logger';
import { HOST_EVENTS } from '../../sdk/host-events';
import { mergeSecrets } from '../../settings/setting-secrets';
import { validateSettings } from '../../settings/validate-settings';
import type { StoredArchives } from '../host-adapters';
import type { AuditLog } from './audit-log';
import type { PluginActivator } from '../reconcile/plugin-reconciler';
import type { PluginCell } from '../activation/plugin-activation';
import type { Actor } from './plugin-maintenance';
import type { PluginRuntime } from '../registry/plugin-entry';
import type { PluginStore } from '../registry/plugin-store';

interface OperationsDeps {
  runtime: (id: string) => PluginRuntime;
  runtimes: Map<string, PluginRuntime>;
  activator: PluginActivator;
  store: PluginStore;
  audit: AuditLog;
  logger: HostLogger;
  installer: PluginArchiveInstaller;
  archives: StoredArchives;
  readSettings: (id: string) => Record<string, unknown>;
  /** Runs `work` in one database transaction. */
  transaction: <T>(work: (manager: EntityManager) => Promise<T>) => Promise<T>;
  /** Rescans the folders and applies the result (the caller holds the change lock). */
  refresh: () => Promise<void>;
}

/** Installs from archives, settings and actions: the admin operations on a plugin's files and behaviour. */
export class PluginOperations {
  private readonly actions = new WeakMap<PluginCell, Map<string, ActionEntry>>();

  constructor(private readonly deps: OperationsDeps) {}

  /** Validates and stages an archive (no lock needed: nothing in the plugins folder changes). */
  stage(archive: Buffer, fileName: string): Promise<StagedPlugin> {
    return this.deps.installer.stage(archive, fileName);
  }

  /**
   * Moves a staged plugin into place and starts it when it is enabled, as one sequence under the
   * change lock: commit (journaled), start, then the archive and the audit row in one database
   * transaction (the commit point), and only then the previous version is deleted. If any step
   * fails, the previous version is put back and keeps serving; a new id leaves nothing behind.
   */
  async commit(staged: StagedPlugin, archive: Buffer, options: Actor & { overwrite: boolean; source: string }) {
    const { runtimes, refresh, audit, archives } = this.deps;
    const existing = runtimes.get(staged.id);
    if (existing?.discovered && existing.discovered.source !== 'plugins') {
      await staged.discard();
      throw new PluginError('PLG_ALREADY_INSTALLED', `Plugin '${staged.id}' is installed in the frontend plugins folder; uninstall it first.`, { pluginId: staged.id });
    }
    const detail = { sha256: staged.sha256, source: basename(options.source), overwrite: options.overwrite, files: staged.entries, bytes: staged.bytes };
    let installed: InstalledPlugin;
    try {
      installed = await staged.commit({ overwrite: options.overwrite });
    } catch (err) {
      await audit.record({ ...options, action: 'install', pluginId: staged.id, outcome: 'refused', detail: { ...detail, code: (err as PluginError).code } });
      throw err;
    }
    const action = installed.replaced ? 'upgrade' : 'install';
    try {
      await refresh();
      const runtime = this.deps.runtime(staged.id);
      if (runtime.discovered?.error) throw runtime.discovered.error;
      // A running plugin whose new version cannot start keeps its old cell and carries the error: that is a failed upgrade too.
      if (runtime.record.enabled && (runtime.state !== 'active' || runtime.error)) throw runtime.error ?? new PluginError('PLG_NOT_ACTIVE', `Plugin '${staged.id}' did not start.`, { pluginId: staged.id });
      await this.deps.transaction(async (manager) => {
        await archives.save(staged.id, staged.sha256, basename(options.source), archive, manager);
        await audit.record({ ...options, action, pluginId: staged.id, outcome: 'ok', detail }, manager);
      });
    } catch (err) {
      const restored = await installed.restore().then(
        () => true,
        (restoreError: Error) => {
          this.deps.logger.error(`${restoreError.message} (the next start settles it from the install journal)`);
          return false;
        },
      );
      await refresh();
      if (!existing) await this.forget(staged.id);
      const error = toPluginError(err, 'PLG_INTERNAL', staged.id, 'could not be installed');
      await audit.record({ ...options, action: 'install', pluginId: staged.id, outcome: 'failed', detail: { ...detail, code: error.code, restored: installed.replaced && restored } });
      throw error;
    }
    // Committed: the database names the new archive. What is left is housekeeping, which the next start redoes if it fails here.
    try {
      archives.setLocal(staged.id, staged.sha256);
      await installed.finish();
    } catch (err) {
      this.deps.logger.warn(`Plugin '${staged.id}' is installed, but cleaning up after it failed: ${(err as Error).message}`);
    }
    return { id: staged.id, replaced: installed.replaced, sha256: staged.sha256 };
  }

  /** Drops the record a failed install of a new id left (it was never installed, so nothing to keep). */
  private async forget(id: string): Promise<void> {
    const runtime = this.deps.runtimes.get(id);
    if (!runtime || runtime.discovered) return;
    this.deps.runtimes.delete(id);
    await this.deps.store.remove(id);
  }

  /** Installs the .zip files dropped into the plugins folder; each is removed once installed, or renamed to .rejected. */
  async installDropped(archives: string[]): Promise<string[]> {
    const installed: string[] = [];
    for (const file of archives) {
      try {
        const bytes = readFileSync(file);
        const staged = await this.stage(bytes, basename(file));
        await this.commit(staged, bytes, { actor: 'plugins folder', overwrite: false, source: file });
        rmSync(file, { force: true });
        installed.push(staged.id);
      } catch (err) {
        const error = err as PluginError;
        this.deps.logger.error(`${error.code ?? 'PLG_INTERNAL'}: the archive ${basename(file)} dropped in the plugins folder was not installed: ${error.message}`);
        renameSync(file, `${file}.rejected`);
      }
    }
    return installed;
  }

  /** Validates and replaces a plugin's stored settings; the running plugin sees them on its next read. */
  async saveSettings(id: string, incoming: unknown, actor: Actor) {
    const runtime = this.deps.runtime(id);
    const schema = runtime.discovered?.descriptor.settings ?? [];
    let settings: Record<string, unknown>;
    try {
      settings = validateSettings(schema, mergeSecrets(schema, incoming, runtime.record.settings), id);
    } catch (err) {
      await this.deps.audit.record({ ...actor, action: 'settings', pluginId: id, outcome: 'refused', detail: { code: (err as PluginError).code } });
      throw err;
    }
    await this.deps.store.update(id, { settings });
    runtime.record.settings = settings;
    await this.deps.audit.record({ ...actor, action: 'settings', pluginId: id, outcome: 'ok', detail: { keys: Object.keys(settings) } });
    await this.deps.activator.emit(HOST_EVENTS.settingsChanged, { pluginId: id });
  }

  /** Runs a plugin action with `(params, { settings, logger })` and returns its result. */
  async run(id: string, actionId: string, params: unknown, actor: Actor): Promise<unknown> {
    const runtime = this.deps.runtime(id);
    if (!runtime.record.enabled) {
      throw new PluginError('PLG_DISABLED', `Plugin '${id}' is disabled; enable it to run its actions.`, { pluginId: id, hint: `Enable '${id}' first.` });
    }
    const cell = this.deps.activator.cells.get(id);
    if (!cell) throw new PluginError('PLG_NOT_ACTIVE', `Plugin '${id}' is enabled but ${runtime.state}; its actions cannot run.`, { pluginId: id, hint: 'Fix the error shown for the plugin first.' });
    const declared = (runtime.discovered?.descriptor.actions ?? []).map((a) => a.id);
    let found = this.actions.get(cell);
    if (!found) this.actions.set(cell, (found = discoverActions(cell.app, cell.backend.modules, id)));
    const entry = found.get(actionId);
    if (!entry || !declared.includes(actionId)) {
      throw new PluginError('PLG_ACTION_NOT_FOUND', `Plugin '${id}' has no action '${actionId}'.`, {
        pluginId: id,
        hint: `Its actions: ${declared.join(', ') || '(none)'}. An action must be declared in plugin.json and marked with @Action('${actionId}').`,
        details: { action: actionId },
      });
    }
    const logger = this.deps.logger.child(`plugin:${id}`);
    const nestLogger: LoggerService = { log: (m) => logger.info(String(m)), error: (m) => logger.error(String(m)), warn: (m) => logger.warn(String(m)), debug: (m) => logger.debug(String(m)) };
    try {
      const result = await runAction(entry, params ?? {}, { settings: this.deps.readSettings(id), logger: nestLogger });
      await this.deps.audit.record({ ...actor, action: `run ${actionId}`, pluginId: id, outcome: 'ok' });
      return result === undefined ? null : result;
    } catch (err) {
      await this.deps.audit.record({ ...actor, action: `run ${actionId}`, pluginId: id, outcome: 'failed', detail: { code: (err as PluginError).code } });
      throw err;
    }
  }
}

/** Staging lives inside the plugins folder (a dot-folder the scanner skips), so committing is a rename on one file system. */
export function stagingDirOf(pluginsDir: string): string {
  return join(pluginsDir, '.staging');
}
