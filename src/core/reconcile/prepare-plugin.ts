import { HOST_ENTITIES } from '../../database/host-entities';
import { PluginError } from '../../errors/plugin-error';
import { registerOwnedClasses } from '../../loader/class-owners';
import type { PluginEntry } from '../registry/plugin-entry';
import type { ReconcileContext } from './plugin-reconciler';

/** Which plugin (or the host) owns each table, among what runs now. */
export function tableOwners(rc: ReconcileContext, except?: string): Map<string, string> {
  const owners = new Map<string, string>(HOST_ENTITIES.map((e) => [rc.deps.db.dataSource.getMetadata(e).tableName, 'the host']));
  for (const [id, activation] of rc.activations) if (id !== except) for (const { table } of activation.backend.entities) owners.set(table, id);
  return owners;
}

/**
 * Loads the plugin's code when it is new or changed, claims its tables in `tables`, and applies
 * its pending migrations (the migration lock is taken only when the ledger shows some).
 */
export async function preparePlugin(rc: ReconcileContext, entry: PluginEntry, tables: Map<string, string>, ledger?: Map<string, Map<string, string>>): Promise<number> {
  const plugin = entry.discovered!;
  if (!entry.backend || needsLoading(entry)) {
    rc.registry.loaded(plugin.id, rc.deps.loader.loadBackend(plugin, entry.fileDigests));
    registerOwnedClasses(plugin.id, entry.backend!.code.ownClasses);
  }
  const prefix = plugin.id.replace(/-/g, '_');
  const backend = entry.backend!;
  for (const { table } of backend.entities) {
    const owner = tables.get(table);
    if (owner && owner !== plugin.id) {
      const ownerName = owner === 'the host' ? 'the host' : `plugin '${owner}'`;
      throw new PluginError('PLG_TABLE_CONFLICT', `Plugin '${plugin.id}' declares table '${table}', which ${ownerName} already owns.`, {
        pluginId: plugin.id,
        hint: `Rename the entity's table, prefixed with the plugin id (e.g. '${prefix}_${table}').`,
        details: { table, owner },
      });
    }
    if (!table.startsWith(prefix)) rc.deps.logger.debug(`Plugin '${plugin.id}': table '${table}' is not prefixed with the plugin id.`);
  }
  for (const { table } of backend.entities) tables.set(table, plugin.id);
  if (entry.migratedFingerprint === entry.fingerprint) return 0;
  const applied = await rc.deps.migrator.migrate(plugin, backend.code, ledger?.get(plugin.id) ?? (ledger ? new Map<string, string>() : undefined));
  rc.registry.migrated(plugin.id);
  return applied.length;
}

/** The plugin's code is not loaded yet, or its folder changed since. */
export function needsLoading(entry: PluginEntry): boolean {
  return !entry.backend || entry.loadedFingerprint !== entry.fingerprint;
}
