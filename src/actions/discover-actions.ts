import type { INestApplicationContext } from '@nestjs/common';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import { ownerOf } from '../loader/class-owners';
import { PluginError } from '../errors/plugin-error';
import { ACTION_METADATA } from '../sdk/action.decorator';

/** One action method found on a live provider instance. */
export interface ActionEntry {
  pluginId: string;
  actionId: string;
  instance: object;
  methodName: string;
}

const methodLabel = (entry: ActionEntry) => `${entry.instance.constructor.name}.${entry.methodName}()`;

/**
 * Finds the `@Action()` methods of the providers and controllers of one plugin's modules. The
 * plugin id defaults to the registered owner of the module class. Providers that are not
 * singletons (request-scoped) are skipped: there is no instance to call outside a request.
 */
export function discoverActions(app: INestApplicationContext, modules: Iterable<Function>, pluginId?: string): Map<string, ActionEntry> {
  const wanted = new Set(modules);
  const scanner = new MetadataScanner();
  const actions = new Map<string, ActionEntry>();
  for (const moduleRef of app.get(ModulesContainer).values()) {
    if (!wanted.has(moduleRef.metatype as Function)) continue;
    const owner = pluginId ?? ownerOf(moduleRef.metatype as Function) ?? moduleRef.metatype.name;
    for (const wrapper of [...moduleRef.providers.values(), ...moduleRef.controllers.values()]) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const methodName of scanner.getAllMethodNames(prototype)) {
        const actionId = Reflect.getMetadata(ACTION_METADATA, (prototype as Record<string, unknown>)[methodName] as object) as string | undefined;
        if (actionId === undefined) continue;
        const entry: ActionEntry = { pluginId: owner, actionId, instance, methodName };
        const first = actions.get(actionId);
        if (first) {
          throw new PluginError('PLG_ACTION_DUPLICATE', `Plugin '${owner}' marks both ${methodLabel(first)} and ${methodLabel(entry)} as action '${actionId}'.`, {
            pluginId: owner,
            hint: 'Give each @Action() method its own id, matching the "actions" in plugin.json.',
            details: { action: actionId },
          });
        }
        actions.set(actionId, entry);
      }
    }
  }
  return actions;
}
