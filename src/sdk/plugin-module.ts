import type { DynamicModule } from '@nestjs/common';

/** Resolves what a dependency exports, while the importing plugin is being started. */
export type ExportedProvidersResolver = (pluginId: string) => { provide: unknown; useValue: unknown }[];

let resolver: ExportedProvidersResolver | undefined;

/** Called by the host around each plugin start; not for plugin authors. */
export function setExportedProvidersResolver(next: ExportedProvidersResolver | undefined): void {
  resolver = next;
}

/**
 * Imports the providers that the root module of plugin `pluginId` exports, as the running
 * instances of that plugin: `@Module({ imports: [usePluginModule('users')] })`. The plugin must be
 * listed in "dependsOn"; it is started first, and when it restarts, the importer restarts too.
 */
export function usePluginModule(pluginId: string): DynamicModule {
  class DependencyModule {}
  Object.defineProperty(DependencyModule, 'name', { value: `PluginModule(${pluginId})` });
  const providers = () => {
    if (!resolver) throw new Error(`usePluginModule('${pluginId}') can only be used in plugin code started by the appnest host.`);
    return resolver(pluginId);
  };
  return {
    module: DependencyModule,
    get providers() {
      return providers();
    },
    get exports() {
      return providers().map((p) => p.provide as never);
    },
  } as DynamicModule;
}
