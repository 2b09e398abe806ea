const PER_INSTANCE = Symbol.for('appnest:task:per-instance');

/**
 * Opts a `@Cron`, `@Interval` or `@Timeout` method out of once-per-cluster scheduling: with
 * several host instances on one database, it runs on every instance at every tick.
 */
export function PerInstance(): MethodDecorator {
  return (_target, _key, descriptor) => {
    Reflect.defineMetadata(PER_INSTANCE, true, descriptor.value as Function);
  };
}

/** Whether a scheduled method opted out of once-per-cluster runs (read by the host's scheduler guard). */
export function isPerInstance(method: Function): boolean {
  return Reflect.getMetadata(PER_INSTANCE, method) === true;
}
