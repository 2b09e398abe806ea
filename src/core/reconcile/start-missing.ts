import { PluginError, toPluginError } from '../../errors/plugin-error';
import { startActivation } from '../activation/start-activation';
import { canShareApplication, startSharedActivations } from '../activation/start-shared-activations';
import type { ReconcileContext } from './plugin-reconciler';
import { needsLoading, preparePlugin, tableOwners } from './prepare-plugin';

/**
 * At most this many plugins share one application. Each application costs 30 to 50 ms to start
 * (Nest's own modules, the scheduler, the router); a request's route lookup does not grow with the
 * size (PluginRoutesAdapter); a smaller one lets an application holding plugins that were stopped
 * close sooner.
 */
const SHARED_APPLICATION_SIZE = 100;

/**
 * Starts the plugins of `order` that have no activation; returns true when one newly failed. All of
 * them are loaded and migrated first, so the shared DataSource rebuilds its metadata once.
 */
export async function startMissing(rc: ReconcileContext, order: string[], failures: Map<string, PluginError>, started: string[]): Promise<boolean> {
  const batch = order.filter((id) => !rc.activations.has(id) && rc.registry.get(id)!.discovered?.markerFile);
  if (batch.length === 0) return false;
  const tables = tableOwners(rc);
  const ledger = await rc.deps.migrator.appliedByPlugin();
  const toLoad = batch.map((id) => rc.registry.get(id)!).filter(needsLoading);
  await rc.deps.loader.precompile(
    toLoad.map((entry) => entry.discovered!),
    new Map(toLoad.flatMap((entry) => [...(entry.fileDigests ?? [])])),
  );
  const migrated = new Map<string, number>();
  let loading = batch[0];
  try {
    for (const group of attemptGroups(rc, batch)) {
      await rc.deps.quarantine.attempt(group, async () => {
        for (const id of group) {
          loading = id;
          migrated.set(id, await preparePlugin(rc, rc.registry.get(id)!, tables, ledger));
        }
      });
    }
  } catch (err) {
    recordFailure(rc, loading, err, failures);
    return true;
  }
  await rc.deps.db.dataSource.setPluginEntities(new Map(batch.map((id) => [id, rc.registry.get(id)!.backend!.entities.map((e) => e.target)])));
  const report = (id: string, ms: number): void => {
    const b = rc.registry.get(id)!.backend!;
    rc.deps.logger.info(
      `Plugin '${id}' active in ${ms} ms: ${b.routes.length} route(s), ${b.entities.length} entit${b.entities.length === 1 ? 'y' : 'ies'}, ${migrated.get(id)} migration(s) applied, ${rc.activations.get(id)!.tasks().length} task(s)`,
    );
  };
  const shareable = batch.filter((id) => canShare(rc, id));
  for (let from = 0; from + 1 < shareable.length; from += SHARED_APPLICATION_SIZE) {
    const together = shareable.slice(from, from + SHARED_APPLICATION_SIZE);
    const began = Date.now();
    try {
      const { activations, failures: failed } = await rc.deps.quarantine.attempt(together, () =>
        startSharedActivations(
          rc.deps.activationContext,
          together.map((pluginId) => ({ pluginId, backend: rc.registry.get(pluginId)!.backend! })),
        ),
      );
      for (const activation of activations) {
        rc.deps.quarantine.startSucceeded(activation.pluginId);
        rc.activations.set(activation.pluginId, activation);
        started.push(activation.pluginId);
        report(activation.pluginId, Date.now() - began);
      }
      if (failed.size) {
        await rc.deps.db.dataSource.setPluginEntities(new Map([...failed.keys()].map((id) => [id, []])));
        for (const [id, err] of failed) startFailed(rc, id, err, failures);
        return true;
      }
    } catch (err) {
      rc.deps.logger.info(`${together.length} plugins could not start together (${(err as Error).message}); starting them one by one.`);
    }
  }
  for (const [index, id] of batch.entries()) {
    if (rc.activations.has(id)) continue;
    const entry = rc.registry.get(id)!;
    const began = Date.now();
    try {
      const dependencies = new Map(
        Object.keys(entry.discovered!.descriptor.dependsOn ?? {})
          .map((dep) => [dep, rc.activations.get(dep)!] as const)
          .filter(([, c]) => !!c),
      );
      rc.activations.set(id, await rc.deps.quarantine.attempt([id], () => startActivation(rc.deps.activationContext, id, entry.backend!, dependencies)));
    } catch (err) {
      await rc.deps.db.dataSource.setPluginEntities(
        new Map(
          batch
            .slice(index)
            .filter((rest) => !rc.activations.has(rest))
            .map((rest) => [rest, []]),
        ),
      );
      startFailed(rc, id, err, failures);
      return true;
    }
    rc.deps.quarantine.startSucceeded(id);
    started.push(id);
    report(id, Date.now() - began);
  }
  return false;
}

/**
 * The batch in its order, cut into the groups loaded under one start record: a plugin that starts
 * alone (PluginQuarantine.startsAlone) on its own, the runs of others between them together. One
 * durable write a group rather than one a plugin: a hundred fewer at a start with a hundred plugins.
 */
function attemptGroups(rc: ReconcileContext, batch: string[]): string[][] {
  const groups: string[][] = [];
  let run: string[] = [];
  for (const id of batch) {
    if (!rc.deps.quarantine.startsAlone(id)) {
      run.push(id);
      continue;
    }
    if (run.length) groups.push(run);
    groups.push([id]);
    run = [];
  }
  if (run.length) groups.push(run);
  return groups;
}

/** A start that threw or timed out: a failure as below, and one more failed start in a row (quarantine). */
function startFailed(rc: ReconcileContext, id: string, err: unknown, failures: Map<string, PluginError>): void {
  recordFailure(rc, id, err, failures);
  const error = failures.get(id)!;
  if (rc.deps.quarantine.startFailed(id, `${error.code}: ${error.message}`)) {
    rc.deps.logger.error(`PLG_QUARANTINED: plugin '${id}' failed to start ${rc.deps.quarantine.after} times in a row; it is left disabled at the next start.`);
  }
}

/** Records a start failure for this apply() and, against the plugin's files, for later ones. */
function recordFailure(rc: ReconcileContext, id: string, err: unknown, failures: Map<string, PluginError>): void {
  const error = toPluginError(err, 'PLG_START_FAILED', id, 'failed to start');
  failures.set(id, error);
  rc.registry.setStartFailure(id, error);
}

/**
 * A plugin may start in an application shared with the others of its batch when it neither
 * depends on a plugin nor is depended on (usePluginModule reads a dependency's own application),
 * and nothing of it reaches app-wide (canShareApplication).
 */
function canShare(rc: ReconcileContext, id: string): boolean {
  const entry = rc.registry.get(id)!;
  if (rc.deps.quarantine.startsAlone(id)) return false;
  if (Object.keys(entry.discovered!.descriptor.dependsOn ?? {}).length > 0) return false;
  for (const other of rc.registry.all()) if (other.discovered?.descriptor.dependsOn?.[id] !== undefined) return false;
  return canShareApplication(entry.backend!);
}
