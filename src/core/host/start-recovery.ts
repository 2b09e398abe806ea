import { recoverInstalls } from '../../archive/install-recovery';
import type { HostLogger } from '../../logging/host-logger';
import type { AuditLog } from '../admin/audit-log';
import type { StoredArchives } from '../host-adapters';
import type { PluginQuarantine } from '../reconcile/plugin-quarantine';
import type { PluginRegistry } from '../registry/plugin-registry';

interface RecoveryDeps {
  stagingDir: string;
  registry: PluginRegistry;
  archives: StoredArchives;
  quarantine: PluginQuarantine;
  audit: AuditLog;
  logger: HostLogger;
}

/**
 * Before the first scan: rolls the installs a killed process left half done back or forward (see
 * the install journal) and says so in the audit. Returns the ids rolled back.
 */
export async function settleInterruptedInstalls(deps: RecoveryDeps): Promise<Set<string>> {
  const { registry, archives, audit, logger } = deps;
  const recovered = await recoverInstalls({ stagingDir: deps.stagingDir, storedSha: (id) => archives.storedSha(id) });
  const rolledBack = new Set(recovered.filter((install) => install.direction !== 'forward').map((install) => install.id));
  for (const install of recovered) {
    if (install.direction === 'forward') {
      archives.setLocal(install.id, install.sha256);
      logger.info(`Plugin '${install.id}': the install interrupted by the last stop was already stored; it is completed`);
      continue;
    }
    if (!install.replaced) await registry.forgetUnusedRecord(install.id);
    const what = install.replaced ? 'its previous version is back' : 'its files are removed';
    logger.warn(`PLG_INSTALL_INTERRUPTED: Plugin '${install.id}': an install was interrupted by the last stop; ${what}`);
    await audit.record({
      actor: 'system',
      action: 'install',
      pluginId: install.id,
      outcome: 'failed',
      detail: { code: 'PLG_INSTALL_INTERRUPTED', sha256: install.sha256 || null, restored: install.replaced },
    });
  }
  return rolledBack;
}

/**
 * After the first scan, before any plugin runs: a plugin whose start the last process died in, and
 * a plugin disabled offline, start disabled. Crashed ones keep their reason until enabled again.
 */
export async function quarantineAtStart(deps: RecoveryDeps, rolledBack: Set<string>): Promise<void> {
  const { registry, quarantine, audit, logger } = deps;
  for (const id of quarantine.takeOverInterrupted()) {
    // A start cut off during an install was of the files the install recovery just took back.
    if (rolledBack.has(id)) {
      quarantine.remove(id);
      logger.info(`Plugin '${id}': the start cut off by the last stop was of the interrupted install; its previous version starts`);
    } else if (quarantine.entries()[id]) logger.error(`PLG_QUARANTINED: ${quarantine.entries()[id].reason}`);
    else
      logger.warn(`Plugin '${id}': the last stop cut off its start (${quarantine.failures()[id]?.count ?? 1} of ${quarantine.after} failed starts in a row before it is quarantined); it starts again`);
  }
  for (const [id, entry] of Object.entries(quarantine.entries())) {
    const plugin = registry.get(id);
    if (plugin?.record.enabled) {
      await registry.setFlags(id, { enabled: false });
      await audit.record({ actor: entry.kind === 'offline' ? 'cli (offline)' : 'system', action: 'disable', pluginId: id, outcome: 'ok', detail: { code: 'PLG_QUARANTINED', reason: entry.reason } });
    }
    if (entry.kind === 'offline' || !plugin) quarantine.remove(id);
  }
}
