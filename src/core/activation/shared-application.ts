import type { INestApplication } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { HostLogger } from '../../logging/host-logger';
import { pluginInstances } from './plugin-instances';

/** Whether a plugin's hooks, tasks and event handlers still belong to a running activation. */
export interface ActivationStatus {
  stopped: boolean;
  /**
   * Set for a member of a shared application: a start hook of this plugin that throws or times
   * out fails this plugin alone (its error lands here, its later start hooks are skipped) instead
   * of the whole application, so the others start once.
   */
  isolated?: boolean;
  failure?: Error;
}

export type { TaskListing } from '../../contracts/plugin-view';
import type { TaskListing } from '../../contracts/plugin-view';

/** The application's scheduler, when some plugin of it has scheduled tasks. */
function schedulerOf(app: INestApplication): SchedulerRegistry | undefined {
  try {
    return app.get(SchedulerRegistry, { strict: false });
  } catch {
    return undefined;
  }
}

/** The scheduled tasks of an application; with `pluginId`, that plugin's only (named `<id>:<name>`). */
export function scheduledTasks(app: INestApplication, pluginId?: string): TaskListing[] {
  const registry = schedulerOf(app);
  if (!registry) return [];
  const listed = (name: string) => pluginId === undefined || name.startsWith(`${pluginId}:`);
  return [
    ...[...registry.getCronJobs().keys()].filter(listed).map((name) => ({ name, kind: 'cron' as const })),
    ...registry
      .getIntervals()
      .filter(listed)
      .map((name) => ({ name, kind: 'interval' as const })),
    ...registry
      .getTimeouts()
      .filter(listed)
      .map((name) => ({ name, kind: 'timeout' as const })),
  ];
}

/** Nest's shutdown hooks, in the order it calls them. */
export const STOP_HOOKS = ['onModuleDestroy', 'beforeApplicationShutdown', 'onApplicationShutdown'] as const;

/**
 * One Nest application that several plugins started in together (the plugins enabled at boot, or
 * any batch started at once): one container, one router, one scheduler, where one application
 * per plugin would pay Nest's start-up once per plugin. Each member still stops alone: `detach`
 * runs its stop hooks once, removes its scheduled tasks and silences its event handlers; the host
 * no longer routes to it, and the next activation starts it in an application of its own. The
 * application closes when its last member has left.
 */
export class SharedApplication {
  private readonly members: Map<string, { modules: Function[]; activation: ActivationStatus }>;

  constructor(
    readonly app: INestApplication,
    members: { pluginId: string; modules: Function[]; activation: ActivationStatus }[],
  ) {
    this.members = new Map(members.map((m) => [m.pluginId, { modules: m.modules, activation: m.activation }]));
  }

  /** Stops one member as closing its own application would; closes the application after the last. */
  async detach(pluginId: string, logger: HostLogger): Promise<void> {
    const member = this.members.get(pluginId);
    if (!member) return;
    this.members.delete(pluginId);
    if (this.members.size === 0) return this.app.close();
    const registry = schedulerOf(this.app);
    for (const { name, kind } of scheduledTasks(this.app, pluginId)) {
      if (kind === 'cron') registry!.deleteCronJob(name);
      else if (kind === 'interval') registry!.deleteInterval(name);
      else registry!.deleteTimeout(name);
    }
    const instances = pluginInstances(this.app, member.modules) as Record<string, unknown>[];
    for (const hook of STOP_HOOKS) {
      for (const instance of instances) {
        if (typeof instance[hook] !== 'function') continue;
        try {
          await (instance[hook] as () => unknown)();
        } catch (err) {
          logger.error(`Plugin '${pluginId}' did not stop cleanly: ${(err as Error).message}`);
        }
      }
    }
    member.activation.stopped = true;
  }
}
