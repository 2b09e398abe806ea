import type { PluginArchiveInstaller } from '../../archive/plugin-archive-installer';
import type { RollbackView } from '../../contracts/plugin-view';
import { PluginError, toPluginError } from '../../errors/plugin-error';
import type { Actor } from './audit-log';
import type { ArchiveOperationsDeps } from './plugin-installs';

/**
 * Back to the version the last upgrade kept, as one sequence under the change lock, the same way
 * as an install: the kept files are committed in place (journaled), the running plugin is replaced
 * blue/green, then the previous archive becomes the stored one and the audit row is written in one
 * transaction (the commit point); the rolled-back version's files are deleted only then. If a step
 * fails, the version that was running stays.
 */
export class PluginRollbacks {
  constructor(private readonly deps: ArchiveOperationsDeps) {}

  async rollback(id: string, actor: Actor, why: { reason: string; automatic: boolean } = { reason: 'asked for by an operator', automatic: false }): Promise<RollbackView> {
    const { registry, audit, installer, archives, refresh } = this.deps;
    const from = registry.require(id).discovered?.version ?? registry.require(id).record.version;
    let committed: Awaited<ReturnType<PluginArchiveInstaller['commitPrevious']>>;
    try {
      committed = await installer.commitPrevious(id);
    } catch (err) {
      const error = toPluginError(err, 'PLG_INTERNAL', id, 'could not be rolled back');
      await audit.record({ ...actor, action: 'rollback', pluginId: id, outcome: error.status < 500 ? 'refused' : 'failed', detail: { code: error.code, from } });
      throw error;
    }
    const { installed, previous } = committed;
    const view: RollbackView = { code: why.automatic ? 'PLG_UPGRADE_ROLLED_BACK' : null, automatic: why.automatic, from, to: previous.version, reason: why.reason, at: new Date().toISOString() };
    try {
      await refresh();
      const entry = registry.require(id);
      if (entry.discovered?.error) throw entry.discovered.error;
      if (entry.record.enabled && (entry.state !== 'active' || entry.error)) throw entry.error ?? new PluginError('PLG_NOT_ACTIVE', `Plugin '${id}' did not start.`, { pluginId: id });
      await this.deps.transaction(async (manager) => {
        await archives.restorePrevious(id, manager);
        await audit.record({ ...actor, action: 'rollback', pluginId: id, outcome: 'ok', detail: { ...view } }, manager);
      });
    } catch (err) {
      await installed.restore().catch((restoreError: Error) => this.deps.logger.error(`${restoreError.message} (the next start settles it from the install journal)`));
      await refresh();
      const error = toPluginError(err, 'PLG_INTERNAL', id, `could not be rolled back to ${previous.version}`);
      await audit.record({ ...actor, action: 'rollback', pluginId: id, outcome: 'failed', detail: { code: error.code, from, to: previous.version } });
      throw error;
    }
    try {
      archives.setLocal(id, previous.sha256 ?? undefined);
      await installed.finish();
    } catch (err) {
      this.deps.logger.warn(`Plugin '${id}' is rolled back, but cleaning up after it failed: ${(err as Error).message}`);
    }
    await registry.setRollback(id, view);
    const level = why.automatic ? 'error' : 'warn';
    this.deps.logger[level](`${why.automatic ? 'PLG_UPGRADE_ROLLED_BACK: ' : ''}Plugin '${id}' rolled back from ${from} to ${previous.version}: ${why.reason}`);
    return view;
  }
}
