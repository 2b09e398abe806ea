import type { DataSource } from 'typeorm';
import type { HostLogger } from '../../logging/host-logger';
import { HOST_EVENTS } from '../../sdk/host-events';
import type { ChangeChannel, ClusterChange, ClusterFollower, HostAdapters } from '../host-adapters';
import type { PluginRegistry } from '../registry/plugin-registry';
import type { ChangeQueue } from './change-queue';

/**
 * Several instances on one PostgreSQL: announces this instance's stored changes, and follows the
 * others' (their files from the stored archives, then flags and settings, then the running set),
 * coalescing bursts of notifications into one resync.
 */
export class ClusterFollow {
  private channel?: ChangeChannel;
  private resyncTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly deps: {
      dataSource: DataSource;
      logger: HostLogger;
      follower: ClusterFollower;
      registry: PluginRegistry;
      changes: ChangeQueue;
      /** Rescans the folders and reconciles (the caller holds the change lock). */
      refresh: () => Promise<void>;
      emit: (event: string, payload: unknown) => Promise<void>;
    },
  ) {}

  async start(adapters: HostAdapters, url: string, instanceId: string): Promise<void> {
    this.channel = adapters.channel({
      url,
      instanceId,
      logger: this.deps.logger.child('cluster'),
      onChange: (change) => this.onChange(change),
      onResync: () => this.scheduleResync(),
    });
    await this.channel.start();
  }

  /** Tells the other instances on the database that a stored change happened (never for a refused one). */
  async announce(kind: string, pluginId?: string): Promise<void> {
    try {
      await this.channel?.publish({ kind, pluginId }, (sql, params) => this.deps.dataSource.query(sql, params));
    } catch (err) {
      this.deps.logger.warn(`Could not notify the other instances of '${kind}': ${(err as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.resyncTimer);
    await this.channel?.stop();
  }

  private onChange(change: ClusterChange): void {
    this.deps.logger.debug(`Instance ${change.instance} changed '${change.pluginId ?? '*'}' (${change.kind})`);
    this.scheduleResync();
  }

  /** Coalesces bursts of notifications into one resync. */
  private scheduleResync(): void {
    if (this.stopped || this.resyncTimer) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      this.deps.changes.run(() => this.resync()).catch((err: Error) => this.deps.logger.error(`Resync from the database failed: ${err.message}`));
    }, 50);
  }

  /** Brings this instance in line with the database: files from stored archives, flags, settings, then the running set. */
  private async resync(): Promise<void> {
    if (this.stopped) return;
    await this.deps.follower.pullFiles();
    const settingsChanged = await this.deps.registry.reloadRecords();
    await this.deps.refresh();
    for (const pluginId of settingsChanged) await this.deps.emit(HOST_EVENTS.settingsChanged, { pluginId });
  }
}
