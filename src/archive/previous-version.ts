import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What an upgrade kept of the version it replaced, for a rollback. */
export interface PreviousVersion {
  id: string;
  version: string;
  /** The stored archive it was installed from; null when it was not installed from one. */
  sha256: string | null;
  keptAt: string;
}

const META = 'previous.json';

/**
 * `<pluginsDir>/.previous/<id>/`: the previous version's files (`<id>/`) and what they are
 * (`previous.json`). A dot-folder, so the scanner skips it; on the plugins folder's file system, so a
 * rollback is a rename.
 */
export function previousRootOf(pluginsDir: string, id: string): string {
  return join(pluginsDir, '.previous', id);
}

export function readPreviousVersion(pluginsDir: string, id: string): PreviousVersion | undefined {
  const root = previousRootOf(pluginsDir, id);
  if (!existsSync(join(root, id)) || !existsSync(join(root, META))) return undefined;
  try {
    return JSON.parse(readFileSync(join(root, META), 'utf8')) as PreviousVersion;
  } catch {
    return undefined;
  }
}

/** Moves the folder of the replaced version to the previous-version place (one kept per plugin). */
export async function keepPreviousVersion(pluginsDir: string, folder: string, meta: Omit<PreviousVersion, 'keptAt'>): Promise<void> {
  const root = previousRootOf(pluginsDir, meta.id);
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  await rename(folder, join(root, meta.id));
  await writeFile(join(root, META), JSON.stringify({ ...meta, keptAt: new Date().toISOString() }, null, 2));
}

export async function forgetPreviousVersion(pluginsDir: string, id: string): Promise<void> {
  await rm(previousRootOf(pluginsDir, id), { recursive: true, force: true });
}
