import { computed, markRaw, reactive } from 'vue';
import { createApiClient, type PageDefinition, type PluginDefinition, type PluginHost, type SlotDefinition } from '@appnest/frontend';
import { describeError } from './errors';
import { checkDefinition } from './plugin-definition';
import { createPluginHost } from './plugin-host';
import { pluginPagePath } from './router';

/** One entry of GET /api/plugins. */
export interface FrontendListing {
  id: string;
  name: string;
  version: string;
  entry: string;
  cssEntries: string[];
}

export interface LoadedPlugin {
  listing: FrontendListing;
  definition: PluginDefinition;
  host: PluginHost;
  teardown?: () => void;
  links: HTMLLinkElement[];
}

export interface PluginLoadError {
  id: string;
  name: string;
  entry: string;
  message: string;
}

export const registry = reactive({
  ready: false,
  plugins: [] as LoadedPlugin[],
  errors: [] as PluginLoadError[],
});

const publicApi = createApiClient('/api');

function addStylesheet(href: string, pluginId: string): HTMLLinkElement {
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = href;
  link.dataset.plugin = pluginId;
  document.head.append(link);
  return link;
}

/** Adds the plugin's CSS, imports its entry and runs its setup; on any failure its CSS is removed again. */
async function load(listing: FrontendListing): Promise<LoadedPlugin> {
  const links = listing.cssEntries.map((href) => addStylesheet(href, listing.id));
  try {
    const module = (await import(/* @vite-ignore */ listing.entry)) as { default?: unknown };
    const definition = checkDefinition(module.default, listing.id);
    const host = createPluginHost(listing.id);
    const teardown = (await definition.setup?.(host)) ?? undefined;
    return markRaw({ listing, definition, host, teardown, links });
  } catch (err) {
    for (const link of links) link.remove();
    throw err;
  }
}

function unload(plugin: LoadedPlugin): void {
  try {
    plugin.teardown?.();
  } catch (err) {
    console.error(`Plugin '${plugin.listing.id}' teardown failed`, err);
  }
  for (const link of plugin.links) link.remove();
  registry.plugins = registry.plugins.filter((p) => p !== plugin);
}

async function sync(): Promise<void> {
  let listings: FrontendListing[];
  try {
    listings = await publicApi.get<FrontendListing[]>('plugins');
  } catch (err) {
    console.error('Could not list the plugins', err);
    registry.ready = true;
    return;
  }
  const wanted = new Map(listings.map((l) => [l.id, l]));
  for (const plugin of registry.plugins) if (wanted.get(plugin.listing.id)?.entry !== plugin.listing.entry) unload(plugin);
  registry.errors = registry.errors.filter((e) => wanted.get(e.id)?.entry === e.entry);
  const known = new Set([...registry.plugins.map((p) => p.listing.id), ...registry.errors.map((e) => e.id)]);
  const fresh = listings.filter((l) => !known.has(l.id));
  const results = await Promise.allSettled(fresh.map(load));
  results.forEach((result, i) => {
    const listing = fresh[i];
    if (result.status === 'fulfilled') registry.plugins.push(result.value);
    else registry.errors.push({ id: listing.id, name: listing.name, entry: listing.entry, message: describeError(result.reason) });
  });
  registry.plugins.sort((a, b) => a.listing.id.localeCompare(b.listing.id));
  registry.ready = true;
}

let running: Promise<void> | null = null;
let queued: Promise<void> | null = null;

/** Fetches the list and loads or unloads plugins to match; calls made while one runs share one follow-up run. */
export function refreshPlugins(): Promise<void> {
  if (!running) {
    running = sync().finally(() => (running = null));
    return running;
  }
  queued ??= running.then(() => {
    queued = null;
    return refreshPlugins();
  });
  return queued;
}

export interface NavigationEntry {
  pluginId: string;
  title: string;
  path: string;
}

export const navigation = computed<NavigationEntry[]>(() =>
  registry.plugins.flatMap(({ listing, definition }) => {
    const items = definition.navigation ?? (definition.pages ?? []).map((page) => ({ title: page.title, route: page.route }));
    return items.map((item) => ({ pluginId: listing.id, title: item.title, path: pluginPagePath(listing.id, item.route) }));
  }),
);

export function findPage(path: string): { plugin: LoadedPlugin; page: PageDefinition } | undefined {
  for (const plugin of registry.plugins) {
    const page = plugin.definition.pages?.find((p) => pluginPagePath(plugin.listing.id, p.route) === path.replace(/\/+$/, ''));
    if (page) return { plugin, page };
  }
  return undefined;
}

export function slotEntries(name: string): { key: string; plugin: LoadedPlugin; slot: SlotDefinition }[] {
  return registry.plugins.flatMap((plugin) =>
    (plugin.definition.slots ?? []).filter((slot) => slot.slot === name).map((slot, i) => ({ key: `${plugin.listing.id}:${plugin.listing.entry}:${i}`, plugin, slot })),
  );
}
