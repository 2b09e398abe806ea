import { performance } from 'node:perf_hooks';
import type { StagedPlugin } from '../../archive/plugin-archive-installer';
import { PluginError } from '../../errors/plugin-error';
import type { PluginActivation } from '../activation/plugin-activation';
import type { PluginRegistry } from '../registry/plugin-registry';
import type { PluginMetrics } from '../telemetry/plugin-metrics';
import type { UnhandledErrors } from '../telemetry/unhandled-errors';
import type { Actor } from './audit-log';
import type { PluginInstalls } from './plugin-installs';
import type { PluginRollbacks } from './plugin-rollbacks';
import { probeUpgrade, RequestTally } from './upgrade-probe';

interface UpgradesDeps {
  /** How long a running plugin's new version is watched (0: not watched). */
  probeMs: number;
  registry: PluginRegistry;
  activation: (id: string) => PluginActivation | undefined;
  installs: PluginInstalls;
  rollbacks: PluginRollbacks;
  errors: UnhandledErrors;
  metrics: PluginMetrics;
  /** The plugin's health check now. */
  health: (id: string) => Promise<{ status: string; reason?: string }>;
  /** Tells the other instances (the caller holds the change lock). */
  announce: (kind: string, pluginId: string) => Promise<void>;
}

/**
 * Installs and upgrades from a staged archive, under the change lock: an upgrade of a running plugin
 * is watched for the probe window, and rolled back when its new version fails it
 * (PLG_UPGRADE_ROLLED_BACK). Upgrades are counted in the metrics like enable and disable.
 */
export class PluginUpgrades {
  /** Requests and 5xx answers per activation: the new version's error rate against the previous one's. */
  private readonly tally = new RequestTally();

  constructor(private readonly deps: UpgradesDeps) {}

  /** Told of each request an activation answered. */
  answered(activation: PluginActivation, status: number): void {
    this.tally.answered(activation, status);
  }

  async install(staged: StagedPlugin, archive: Buffer, options: Actor & { overwrite: boolean; source: string }) {
    // Replacing an installed version is an upgrade, counted like enable and disable (a rolled-back one as failed).
    const began = this.deps.registry.get(staged.id)?.discovered ? performance.now() : undefined;
    const count = (outcome: 'ok' | 'refused' | 'failed') => began !== undefined && this.deps.metrics.operation(staged.id, 'upgrade', outcome, (performance.now() - began) / 1000);
    try {
      const done = await this.commitAndProbe(staged, archive, options);
      count('ok');
      return done;
    } catch (err) {
      count((err as PluginError).status < 500 && (err as PluginError).code !== 'PLG_UPGRADE_ROLLED_BACK' ? 'refused' : 'failed');
      throw err;
    }
  }

  private async commitAndProbe(staged: StagedPlugin, archive: Buffer, options: Actor & { overwrite: boolean; source: string }) {
    const { activation, errors } = this.deps;
    const before = activation(staged.id);
    const previous = { ...this.tally.of(before), unhandled: errors.viewOf(staged.id, !!before).unhandledErrors };
    const done = await this.deps.installs.commit(staged, archive, options);
    await this.deps.announce('install', done.id);
    if (!done.replaced || !before || this.deps.probeMs <= 0 || !activation(done.id)) return done;
    const failure = await probeUpgrade({
      windowMs: this.deps.probeMs,
      previous,
      current: () => {
        const now = activation(done.id);
        return now && now !== before ? this.tally.of(now) : undefined;
      },
      unhandled: () => errors.viewOf(done.id, true).unhandledErrors,
      health: () => this.deps.health(done.id),
    });
    if (!failure) return done;
    const rollback = await this.deps.rollbacks.rollback(done.id, { actor: 'system' }, { reason: `the new version failed its probe window: ${failure}`, automatic: true });
    await this.deps.announce('rollback', done.id);
    throw new PluginError('PLG_UPGRADE_ROLLED_BACK', `Plugin '${done.id}' ${rollback.from} was rolled back to ${rollback.to}: ${rollback.reason}.`, {
      pluginId: done.id,
      hint: `Version ${rollback.to} serves again. Fix ${rollback.from} (see its logs and health check), then upload it again with overwrite.`,
      details: { rollback },
    });
  }
}
