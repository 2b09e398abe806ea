import { PluginError } from '../errors/plugin-error';
import { parseDescriptor } from '../discovery/plugin-descriptor';
import { assertValidPluginId, normalisePluginId } from '../discovery/plugin-id';
import { printable } from './archive-entry-check';
import type { ArchiveEntry } from './archive-reader';

/** An entry and its path relative to the plugin root. */
export interface PlacedEntry {
  entry: ArchiveEntry;
  path: string[];
}

export interface ArchiveLayout {
  entries: PlacedEntry[];
  /** The single top folder the plugin sits in, when it does not sit at the zip root. */
  topFolder?: string;
}

// A zip whose only top folder is one of these holds a plugin at its root, not a plugin named "backend".
const PLUGIN_ROOT_FOLDERS = new Set(['backend', 'frontend']);

/** Files at the zip root, or all under one top folder. */
export function resolveLayout(entries: readonly ArchiveEntry[], archive: string): ArchiveLayout {
  if (!entries.some((e) => !e.isDirectory)) {
    throw new PluginError('PLG_NO_ENTRY', `Archive '${printable(archive)}' holds no files.`, {
      hint: 'Zip the plugin folder itself (plugin.json, app.module.ts, frontend/).',
      details: { archive },
    });
  }
  const top = entries[0].segments[0];
  const underOneFolder = !PLUGIN_ROOT_FOLDERS.has(top) && entries.every((e) => e.segments[0] === top && (e.isDirectory || e.segments.length > 1));
  if (!underOneFolder) return { entries: entries.map((entry) => ({ entry, path: entry.segments })) };
  return {
    topFolder: top,
    entries: entries.filter((e) => e.segments.length > 1).map((entry) => ({ entry, path: entry.segments.slice(1) })),
  };
}

/** The plugin id: plugin.json `id`, else the top folder's name, else the zip's file name. */
export function resolvePluginId(layout: ArchiveLayout, descriptorText: string | undefined, archive: string): string {
  const where = layout.topFolder === undefined ? `'${printable(archive)}'` : `'${printable(archive)}/${printable(layout.topFolder)}'`;
  const descriptor = descriptorText === undefined ? undefined : parseDescriptor(descriptorText, `plugin.json in ${where}`);
  if (descriptor?.id !== undefined) {
    assertValidPluginId(descriptor.id, `plugin.json in ${where}`);
    return descriptor.id;
  }
  const fallback = layout.topFolder ?? archive;
  const id = normalisePluginId(fallback);
  assertValidPluginId(id, layout.topFolder === undefined ? `archive name '${printable(archive)}'` : `top folder ${where}`);
  return id;
}

export function findDescriptorEntry(layout: ArchiveLayout): PlacedEntry | undefined {
  return layout.entries.find((e) => !e.entry.isDirectory && e.path.length === 1 && e.path[0] === 'plugin.json');
}
