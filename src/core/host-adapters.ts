import type { AdminApi } from './admin-api';
import type { INestApplication } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import type { PluginArchiveInstaller } from '../archive/plugin-archive-installer';
import type { HostLogger } from '../logging/host-logger';
import type { RequestHandler } from './activation/plugin-activation';
import type { TaskGate } from './activation/scheduled-task-guard';

/**
 * The parts the core is given rather than builds: several instances on one database (stored
 * archives, the change channel, task leases) and the HTTP front door. The composition root
 * (src/host) plugs the real ones in; the core only knows these interfaces.
 */
export interface HostAdapters {
  /** Stored archives (kept in the database when it is `shared` by several instances) and what follows them. */
  archives(ctx: {
    dataSource: DataSource;
    pluginsDir: string;
    shared: boolean;
    /** The ids of the plugins this instance knows. */
    installedIds: () => string[];
    installer: PluginArchiveInstaller;
    logger: HostLogger;
  }): { archives: StoredArchives; follower: ClusterFollower };
  /** Grants each scheduled tick to one instance (several instances on PostgreSQL only). */
  taskGate(ctx: { dataSource: DataSource; instanceId: string; logger: HostLogger }): TaskGate;
  /** Announces stored changes to the other instances and hears theirs (PostgreSQL only). */
  channel(ctx: { url: string; instanceId: string; logger: HostLogger; onChange: (change: ClusterChange) => void; onResync: () => void }): ChangeChannel;
  /** The host's own HTTP routes (admin API, assets, the web app), around `api`. */
  frontDoor(api: AdminApi, ctx: { logger: HostLogger; uploadDir: string; pluginOf: (cause?: Error) => string | undefined }): Promise<FrontDoor>;
}

/** Uploaded archives kept in the database, so every instance can install the same files. */
export interface StoredArchives {
  save(pluginId: string, sha256: string, fileName: string, archive: Buffer, manager?: Pick<EntityManager, 'query'>): Promise<void>;
  /** Keeps the stored archive as the previous one (an upgrade, before it stores its own). */
  keepPrevious(pluginId: string, manager?: Pick<EntityManager, 'query'>): Promise<void>;
  /** Makes the previous archive the stored one again (a rollback); its sha256, or undefined when there was none. */
  restorePrevious(pluginId: string, manager?: Pick<EntityManager, 'query'>): Promise<string | undefined>;
  storedSha(pluginId: string): Promise<string | undefined>;
  remove(pluginId: string): Promise<void>;
  setLocal(pluginId: string, sha256: string | undefined): void;
}

/** Brings this instance's plugin files in line with the archives stored by the other instances. */
export interface ClusterFollower {
  pullFiles(): Promise<void>;
}

export interface ClusterChange {
  instance: string;
  kind: string;
  pluginId?: string;
}

export interface ChangeChannel {
  start(): Promise<void>;
  publish(change: Omit<ClusterChange, 'instance'>, notify: (sql: string, params: unknown[]) => Promise<unknown>): Promise<void>;
  stop(): Promise<void>;
}

export interface FrontDoor {
  app: INestApplication;
  handler: RequestHandler;
}
