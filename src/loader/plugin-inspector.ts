import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';

import type { PluginRoute } from '../contracts/plugin-view';

export type { PluginRoute } from '../contracts/plugin-view';

type ModuleRef = Function | { module?: Function; imports?: unknown[]; controllers?: Function[] } | { forwardRef?: () => unknown };

function isModuleClass(value: unknown): value is Function {
  return typeof value === 'function' && Object.values(MODULE_METADATA).some((key) => Reflect.hasOwnMetadata(key, value));
}

/** The exported @Module class of a marker file: the default export first, then named exports. */
export function findModuleClass(exports: unknown): Function | undefined {
  const candidates: unknown[] = [];
  if (typeof exports === 'function') candidates.push(exports);
  if (exports && typeof exports === 'object') {
    const record = exports as Record<string, unknown>;
    if (record.default) candidates.push(record.default);
    candidates.push(...Object.values(record));
  }
  const withMetadata = candidates.find(isModuleClass);
  if (withMetadata) return withMetadata as Function;
  // @Module({}) stores no metadata at all: accept the one exported class named like a module.
  const named = candidates.filter((c): c is Function => typeof c === 'function' && c.name.endsWith('Module'));
  return named.length === 1 ? named[0] : undefined;
}

/** The module classes of a plugin's module tree that the plugin itself defined. */
export function ownModuleClasses(root: Function, owned: Set<Function>): Function[] {
  const found: Function[] = [];
  const seen = new Set<unknown>();
  const visit = (ref: ModuleRef | undefined): void => {
    if (!ref || seen.has(ref)) return;
    seen.add(ref);
    if (typeof ref === 'function') {
      if (ref !== root && !owned.has(ref)) return;
      found.push(ref);
      for (const child of (Reflect.getMetadata(MODULE_METADATA.IMPORTS, ref) as ModuleRef[] | undefined) ?? []) visit(child);
      return;
    }
    if ('forwardRef' in ref && typeof ref.forwardRef === 'function') return visit(ref.forwardRef() as ModuleRef);
    if ('module' in ref) {
      visit(ref.module);
      for (const child of (ref.imports as ModuleRef[] | undefined) ?? []) visit(child);
    }
  };
  visit(root);
  return found;
}

function joinPath(...parts: (string | undefined)[]): string {
  const path = parts
    .flatMap((p) => (p ?? '').split('/'))
    .filter(Boolean)
    .join('/');
  return `/${path}`;
}

/** Every route the plugin's own controllers declare, under the plugin's prefix. */
export function pluginRoutes(prefix: string, modules: Function[]): PluginRoute[] {
  return declaredRoutes(prefix, modules).map(({ method, path }) => ({ method, path }));
}

/** Two handlers of the plugin's controllers on one method and path: Nest would serve the first alone. */
export function routeCollision(prefix: string, modules: Function[]): [PluginRoute & { handler: string }, PluginRoute & { handler: string }] | undefined {
  const seen = new Map<string, PluginRoute & { handler: string }>();
  for (const route of declaredRoutes(prefix, modules)) {
    const key = `${route.method} ${route.path}`;
    const first = seen.get(key);
    if (first && first.handler !== route.handler) return [first, route];
    seen.set(key, route);
  }
  return undefined;
}

function declaredRoutes(prefix: string, modules: Function[]): (PluginRoute & { handler: string })[] {
  const routes: (PluginRoute & { handler: string })[] = [];
  for (const moduleClass of modules) {
    const controllers = (Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, moduleClass) as Function[] | undefined) ?? [];
    for (const controller of controllers) {
      const base = Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined;
      const bases = Array.isArray(base) ? base : [base];
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (typeof handler !== 'function' || name === 'constructor') continue;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined) continue;
        const sub = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        for (const b of bases) {
          for (const s of Array.isArray(sub) ? sub : [sub]) {
            routes.push({ method: RequestMethod[method], path: joinPath(prefix, b, s), handler: `${controller.name}.${name}()` });
          }
        }
      }
    }
  }
  return routes;
}
