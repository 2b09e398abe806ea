import { markPerInstance } from '../core/scheduled-task-guard';

/**
 * Opts a `@Cron`, `@Interval` or `@Timeout` method out of once-per-cluster scheduling: with
 * several host instances on one database, it runs on every instance at every tick.
 */
export function PerInstance(): MethodDecorator {
  return (_target, _key, descriptor) => {
    markPerInstance(descriptor.value as Function);
  };
}
