import { MODULE_METADATA } from '@nestjs/common/constants';
import { importsDynamic } from '../../loader/module-imports';

const SCHEDULER_TYPE = 'SCHEDULER_TYPE';
const EVENT_LISTENER_METADATA = 'EVENT_LISTENER_METADATA';

export interface PluginFeatures {
  /** Some provider has @Cron, @Interval or @Timeout methods. */
  schedule: boolean;
  /** Some provider has @OnEvent methods. */
  events: boolean;
  /** The plugin imports ScheduleModule.forRoot() itself (as an app module does): the host adds no second scheduler. */
  ownScheduler: boolean;
  /** The plugin imports EventEmitterModule.forRoot() itself, with its own options: the host adds no second event bus. */
  ownEventBus: boolean;
}

function classesOf(modules: Function[]): Function[] {
  const out: Function[] = [];
  for (const moduleClass of modules) {
    out.push(moduleClass);
    for (const key of [MODULE_METADATA.PROVIDERS, MODULE_METADATA.CONTROLLERS]) {
      for (const entry of (Reflect.getMetadata(key, moduleClass) as unknown[] | undefined) ?? []) {
        const cls = typeof entry === 'function' ? entry : (entry as { useClass?: unknown })?.useClass;
        if (typeof cls === 'function') out.push(cls);
      }
    }
  }
  return out;
}

/** What a plugin's own providers use, so a plugin gets a scheduler and an event bus only when it needs them. */
export function pluginFeatures(modules: Function[]): PluginFeatures {
  const features: PluginFeatures = {
    schedule: false,
    events: false,
    ownScheduler: importsDynamic(modules, 'ScheduleModule'),
    ownEventBus: importsDynamic(modules, 'EventEmitterModule'),
  };
  for (const cls of classesOf(modules)) {
    for (let proto = cls.prototype as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const descriptor of Object.values(Object.getOwnPropertyDescriptors(proto))) {
        if (typeof descriptor.value !== 'function') continue;
        if (Reflect.hasMetadata(SCHEDULER_TYPE, descriptor.value)) features.schedule = true;
        if (Reflect.hasMetadata(EVENT_LISTENER_METADATA, descriptor.value)) features.events = true;
      }
    }
  }
  return features;
}

type EventEmitterPackage = typeof import('@nestjs/event-emitter');
let eventEmitterPackage: EventEmitterPackage | undefined;

/** @nestjs/event-emitter, loaded with the first plugin that has @OnEvent handlers (most have none). */
export function eventEmitter(): EventEmitterPackage {
  return (eventEmitterPackage ??= require('@nestjs/event-emitter') as EventEmitterPackage);
}

/** The event bus class once some plugin needed one; until then no application has an event bus. */
export function loadedEventBus(): EventEmitterPackage['EventEmitter2'] | undefined {
  return eventEmitterPackage?.EventEmitter2;
}
