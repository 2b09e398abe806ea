import type { HostLogger } from '../../logging/host-logger';
import { methodsOf } from './plugin-instances';
import { OUTSIDE_PLUGINS, type EnterScope } from './plugin-scope';
import type { ActivationStatus } from './shared-application';

const EVENT_LISTENER_METADATA = 'EVENT_LISTENER_METADATA';

/**
 * Before the event module subscribes them, wraps the `@OnEvent` methods of the plugin's
 * `instances` so that a throw is logged once with the plugin id and the event, and never reaches
 * the emitter or other handlers (each runs in the plugin's scope); once the plugin's activation is stopped, its handlers do nothing.
 */
export function guardEventHandlers(instances: object[], pluginId: string, logger: HostLogger, activation: ActivationStatus = { stopped: false }, enter: EnterScope = OUTSIDE_PLUGINS): void {
  for (const instance of instances as Record<string, unknown>[]) {
    for (const [key, original] of methodsOf(instance)) {
      const listeners = Reflect.getMetadata(EVENT_LISTENER_METADATA, original) as { event: unknown }[] | undefined;
      if (!listeners) continue;
      const events = listeners.map((l) => String(l.event)).join("', '");
      const wrapper = async (...args: unknown[]) => {
        if (activation.stopped) return undefined;
        try {
          return await enter(() => (original as Function).apply(instance, args));
        } catch (err) {
          logger.error(`Plugin '${pluginId}': a handler of '${events}' threw in ${(instance.constructor as Function).name}.${key}(): ${(err as Error)?.message ?? err}`);
        }
      };
      for (const metaKey of Reflect.getMetadataKeys(original)) Reflect.defineMetadata(metaKey, Reflect.getMetadata(metaKey, original), wrapper);
      instance[key] = wrapper;
    }
  }
}
