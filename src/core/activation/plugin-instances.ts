import type { INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';

/** Every singleton provider and controller instance of the plugin's own module classes. */
export function pluginInstances(app: INestApplication, pluginModules: Iterable<Function>): object[] {
  const own = new Set(pluginModules);
  const out: object[] = [];
  for (const moduleRef of app.get(ModulesContainer).values()) {
    if (!own.has(moduleRef.metatype as Function)) continue;
    for (const wrapper of [...moduleRef.providers.values(), ...moduleRef.controllers.values()]) {
      const instance = wrapper.instance as object | undefined;
      if (instance && typeof instance === 'object' && wrapper.isDependencyTreeStatic()) out.push(instance);
    }
  }
  return out;
}

/** The plain methods of an instance's class (accessors are never invoked). */
export function methodsOf(instance: object): [string, Function][] {
  const proto = Object.getPrototypeOf(instance) as object;
  return Object.entries(Object.getOwnPropertyDescriptors(proto))
    .filter(([key, d]) => key !== 'constructor' && typeof d.value === 'function')
    .map(([key, d]) => [key, d.value as Function]);
}
