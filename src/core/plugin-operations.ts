import { readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { LoggerService } from '@nestjs/common';
import { discoverActions, type ActionEntry } from '../actions/discover-actions';
import { runAction } from '../actions/run-action';
import { PluginArchiveInstaller, type StagedPlugin } from '../archive/plugin-archive-installer';
import { PluginError } from '../errors/plugin-error';
import type { HostLogger } from '../logging/host-logger';
import { HOST_EVENTS } from '../sdk/host-events';
import { mergeSecrets } from '../settings/setting-secrets';
import { validateSettings } from '../settings/validate-settings';
import type { ArchiveStore } from '../cluster/archive-store';
import type { AuditLog } from './audit-log';
import type { PluginActivator } from './plugin-activator';
import type { PluginCell } from './plugin-cell';
import type { Actor } from './plugin-maintenance';
import type { PluginRuntime } from './plugin-runtime';
import type { PluginStore } from './plugin-store';

interface OperationsDeps {
  runtime: (id: string) => PluginRuntime;
  runtimes: Map<string, PluginRuntime>;
  activator: PluginActivator;
  store: PluginStore;
  audit: AuditLog;
  logger: HostLogger;
  installer: PluginArchiveInstaller;
  archives: ArchiveStore;
  readSettings: (id: string) => Record<string, unknown>;
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
   * Moves a staged plugin into place and starts it when it is enabled. With `overwrite`, the new
   * version replaces the old one keeping its flags and settings; if it cannot start, the old
   * version is put back and keeps serving. Call under the change lock.
   */
  async commit(staged: StagedPlugin, archive: Buffer, options: Actor & { overwrite: boolean; source: string }) {
    const { runtimes, refresh, audit } = this.deps;
    const existing = runtimes.get(staged.id);
    if (existing?.discovered && existing.discovered.source !== 'plugins') {
      await staged.discard();
      throw new PluginError('PLG_ALREADY_INSTALLED', `Plugin '${staged.id}' is installed in the frontend plugins folder; uninstall it first.`, { pluginId: staged.id });
    }
    const detail = { sha256: staged.sha256, source: options.source, overwrite: options.overwrite, files: staged.entries, bytes: staged.bytes };
    let installed;
    try {
      installed = await staged.commit({ overwrite: options.overwrite });
    } catch (err) {
      await audit.record({ ...options, action: 'install', pluginId: staged.id, outcome: 'refused', detail: { ...detail, code: (err as PluginError).code } });
      throw err;
    }
    try {
      await refresh();
      const runtime = this.deps.runtime(staged.id);
      if (runtime.discovered?.error) throw runtime.discovered.error;
      // A running plugin whose new version cannot start keeps its old cell and carries the error: that is a failed upgrade too.
      if (runtime.record.enabled && (runtime.state !== 'active' || runtime.error)) throw runtime.error ?? new PluginError('PLG_NOT_ACTIVE', `Plugin '${staged.id}' did not start.`, { pluginId: staged.id });
      await installed.finish();
      await this.deps.archives.save(staged.id, staged.sha256, basename(options.source), archive);
    } catch (err) {
      if (installed.replaced) await installed.restore();
      else rmSync(installed.dir, { recursive: true, force: true });
      await refresh();
      await audit.record({ ...options, action: 'install', pluginId: staged.id, outcome: 'failed', detail: { ...detail, code: (err as PluginError).code ?? 'PLG_INTERNAL', restored: installed.replaced } });
      throw err;
    }
    await audit.record({ ...options, action: installed.replaced ? 'upgrade' : 'install', pluginId: staged.id, outcome: 'ok', detail });
    return { id: staged.id, replaced: installed.replaced, sha256: staged.sha256 };
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
