import type { DynamicModule } from '@nestjs/common';
import { MODULE_METADATA } from '@nestjs/common/constants';
import { PluginError } from '../errors/plugin-error';

export function isDynamicModule(value: unknown): value is DynamicModule {
  return !!value && typeof value === 'object' && typeof (value as { module?: unknown }).module === 'function';
}

/**
 * Everything the given modules import, with the imports of the dynamic modules among them
 * (`TypeOrmModule.forRoot()` brings `TypeOrmCoreModule`): classes, dynamic modules, and the
 * promises that async `forRoot()`s return, as written.
 */
export function importsOf(modules: Function[]): unknown[] {
  const found: unknown[] = [];
  const visit = (imports: unknown[] | undefined): void => {
    for (const entry of imports ?? []) {
      found.push(entry);
      if (isDynamicModule(entry)) visit(entry.imports as unknown[] | undefined);
    }
  };
  for (const moduleClass of modules) visit(Reflect.getMetadata(MODULE_METADATA.IMPORTS, moduleClass) as unknown[] | undefined);
  return found;
}

/** Whether the modules import a dynamic module of the class named `name` (a shared package's, so one class). */
export function importsDynamic(modules: Function[], name: string): boolean {
  return importsOf(modules).some((entry) => isDynamicModule(entry) && entry.module.name === name);
}

/** Plugins use the host's DataSource: a `TypeOrmModule.forRoot()` of their own would open a second one. */
export function refuseOwnDataSource(pluginId: string, modules: Function[]): void {
  if (!importsDynamic(modules, 'TypeOrmCoreModule')) return;
  throw new PluginError('PLG_TYPEORM_ROOT', `Plugin '${pluginId}' imports TypeOrmModule.forRoot(); a plugin uses the host's database and may not open its own.`, {
    pluginId,
    hint: 'Remove TypeOrmModule.forRoot()/forRootAsync() from the plugin and keep TypeOrmModule.forFeature([...]) for its entities.',
  });
}
