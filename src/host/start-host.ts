import type { HostConfig } from '../config/host-config';
import { ArchiveStore } from '../cluster/archive-store';
import { ClusterChannel } from '../cluster/cluster-channel';
import { ClusterSync } from '../cluster/cluster-sync';
import { TaskLeaseGate } from '../cluster/task-lease-gate';
import { AppnestHost, type HostStartOptions } from '../core/appnest-host';
import type { HostAdapters } from '../core/host-adapters';
import { startHostApp } from './host-app';

/** The real parts the core is built with: PostgreSQL for several instances, the HTTP front door. */
export const HOST_ADAPTERS: HostAdapters = {
  archives: ({ dataSource, pluginsDir, shared, ...deps }) => {
    const archives = new ArchiveStore(dataSource, pluginsDir, shared);
    return { archives, follower: new ClusterSync({ ...deps, pluginsDir, archives }) };
  },
  taskGate: ({ dataSource, instanceId, logger }) => new TaskLeaseGate(dataSource, instanceId, logger),
  channel: ({ url, instanceId, logger, onChange, onResync }) => new ClusterChannel(url, instanceId, logger, onChange, onResync),
  frontDoor: (api, ctx) => startHostApp(api, ctx),
};

/** The composition root: starts a host with the real adapters. */
export function startHost(config: HostConfig, options: Omit<HostStartOptions, 'adapters'> = {}): Promise<AppnestHost> {
  return AppnestHost.start(config, { ...options, adapters: HOST_ADAPTERS });
}
