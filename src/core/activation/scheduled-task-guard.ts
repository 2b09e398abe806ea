import { performance } from 'node:perf_hooks';
import type { HostLogger } from '../../logging/host-logger';
import { isPerInstance } from '../../sdk/per-instance.decorator';
import type { TaskObserver } from '../telemetry/task-observer';
import { methodsOf } from './plugin-instances';
import { OUTSIDE_PLUGINS, type EnterScope } from './plugin-scope';
import type { ActivationStatus } from './shared-application';

const SCHEDULER_NAME = 'SCHEDULER_NAME';
const SCHEDULER_TYPE = 'SCHEDULER_TYPE';
const SCHEDULE_CRON_OPTIONS = 'SCHEDULE_CRON_OPTIONS';
const SCHEDULE_INTERVAL_OPTIONS = 'SCHEDULE_INTERVAL_OPTIONS';

export interface ScheduledTask {
  /** `<plugin id>:<name>` */
  name: string;
  kind: 'cron' | 'interval' | 'timeout';
  /** true when the author opted out of once-per-cluster runs (and for timeouts, which run once per activation). */
  perInstance: boolean;
  /** An interval's period. */
  periodMs?: number;
}

/** Decides whether this instance runs a task's current tick (one instance per tick across a cluster). */
export interface TaskGate {
  acquire(task: ScheduledTask): Promise<boolean>;
}

export const ALWAYS_RUN: TaskGate = { acquire: async () => true };

/** @nestjs/schedule's SchedulerType values. */
const KINDS: Record<number, ScheduledTask['kind']> = { 1: 'cron', 2: 'timeout', 3: 'interval' };

/**
 * Before the scheduler discovers them, replaces each `@Cron`, `@Interval` and `@Timeout` method of
 * the plugin's provider and controller `instances` with a wrapper: named `<id>:<name>`, run only
 * when the task gate grants the tick, run in the plugin's scope, and whose failure is logged with
 * the plugin id instead of escaping.
 */
export function guardScheduledTasks(
  instances: object[],
  pluginId: string,
  gate: TaskGate,
  logger: HostLogger,
  activation: ActivationStatus = { stopped: false },
  enter: EnterScope = OUTSIDE_PLUGINS,
  observer?: TaskObserver,
): ScheduledTask[] {
  const tasks: ScheduledTask[] = [];
  for (const instance of instances as Record<string, unknown>[]) {
    for (const [key, original] of methodsOf(instance)) {
      const type = Reflect.getMetadata(SCHEDULER_TYPE, original) as number | undefined;
      if (type === undefined) continue;
      const kind = KINDS[type] ?? 'cron';
      const cron = Reflect.getMetadata(SCHEDULE_CRON_OPTIONS, original) as { name?: string } | undefined;
      const given = (kind === 'cron' ? cron?.name : (Reflect.getMetadata(SCHEDULER_NAME, original) as string | undefined)) ?? key;
      const interval = Reflect.getMetadata(SCHEDULE_INTERVAL_OPTIONS, original) as { timeout?: number } | undefined;
      const task: ScheduledTask = {
        name: `${pluginId}:${given}`,
        kind,
        perInstance: kind === 'timeout' || isPerInstance(original),
        periodMs: interval?.timeout,
      };
      const wrapper = async (...args: unknown[]) => {
        let began: number | undefined;
        try {
          if (activation.stopped || (!task.perInstance && !(await gate.acquire(task)))) return;
          began = performance.now();
          await enter(() => (original as Function).apply(instance, args));
          observer?.taskRan(pluginId, given, (performance.now() - began) / 1000, false);
        } catch (err) {
          if (began !== undefined) observer?.taskRan(pluginId, given, (performance.now() - began) / 1000, true);
          logger.error(`Task '${task.name}' failed: ${(err as Error)?.message ?? err}`);
        }
      };
      for (const metaKey of Reflect.getMetadataKeys(original)) Reflect.defineMetadata(metaKey, Reflect.getMetadata(metaKey, original), wrapper);
      Reflect.defineMetadata(SCHEDULER_NAME, task.name, wrapper);
      if (kind === 'cron') Reflect.defineMetadata(SCHEDULE_CRON_OPTIONS, { ...cron, name: task.name }, wrapper);
      instance[key] = wrapper;
      tasks.push(task);
    }
  }
  return tasks;
}
