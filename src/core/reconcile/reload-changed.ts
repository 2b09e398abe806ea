import { toPluginError } from '../../errors/plugin-error';
import { contributeExtensions } from '../activation/application-parts';
import { startActivation } from '../activation/start-activation';
import type { ReconcileContext } from './plugin-reconciler';
import { preparePlugin, tableOwners } from './prepare-plugin';

/**
 * Blue/green for a running plugin whose files changed: load, migrate and start the new version
 * beside the old one, then route to it and stop the old one. If the new version cannot start,
 * the old one keeps serving and the plugin carries the error.
 */
export async function reloadChanged(rc: ReconcileContext, order: string[]): Promise<string[]> {
  const replaced: string[] = [];
  for (const id of order) {
    const old = rc.activations.get(id);
    const entry = rc.registry.get(id)!;
    if (!old || entry.loadedFingerprint === entry.fingerprint || !entry.discovered?.markerFile) continue;
    const began = Date.now();
    try {
      await rc.deps.quarantine.attempt([id], () => preparePlugin(rc, entry, tableOwners(rc, id)));
      const oldEntities = old.backend.entities.map((e) => e.target);
      await rc.deps.db.dataSource.setPluginEntities(new Map([[id, [...oldEntities, ...entry.backend!.entities.map((e) => e.target)]]]));
      rc.deps.activationContext.extensions.remove(id);
      const next = await rc.deps.quarantine.attempt([id], () => startActivation(rc.deps.activationContext, id, entry.backend!, old.dependencies));
      rc.activations.set(id, next);
      await old.stop(rc.deps.drainTimeoutMs, rc.deps.logger);
      await rc.deps.db.dataSource.setPluginEntities(new Map([[id, entry.backend!.entities.map((e) => e.target)]]));
      rc.registry.setReloadError(id, undefined);
      replaced.push(id);
      rc.deps.logger.info(`Plugin '${id}' reloaded in ${Date.now() - began} ms`);
    } catch (err) {
      rc.registry.loaded(id, old.backend);
      contributeExtensions(rc.deps.activationContext.extensions, id, old.app, old.backend.modules);
      await rc.deps.db.dataSource.setPluginEntities(new Map([[id, old.backend.entities.map((e) => e.target)]]));
      const error = toPluginError(err, 'PLG_START_FAILED', id, 'could not reload');
      rc.registry.setReloadError(id, error);
      rc.deps.logger.error(`${error.code}: ${error.message} (the previous version keeps serving)`);
    }
  }
  return replaced;
}
