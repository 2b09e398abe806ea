import { closeSync, constants, fstatSync, lstatSync, openSync, realpathSync, type Stats } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';

export interface OpenedFile {
  fd: number;
  stat: Stats;
}

function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Opens `root/segments...` for reading, or returns undefined when any segment is a symbolic link,
 * a parent is not a folder, the target is not a regular file, or its real path leaves `root`.
 * The file is opened with O_NOFOLLOW and checked to be the one inspected, so a link swapped in
 * meanwhile is not followed either. The caller closes the descriptor.
 */
export function openInside(root: string, segments: readonly string[]): OpenedFile | undefined {
  if (segments.length === 0) return undefined;
  let realRoot: string;
  try {
    realRoot = realpathSync.native(root);
  } catch {
    return undefined;
  }
  let path = root;
  let last: Stats | undefined;
  for (const [index, segment] of segments.entries()) {
    path = join(path, segment);
    try {
      last = lstatSync(path);
    } catch {
      return undefined;
    }
    if (last.isSymbolicLink()) return undefined;
    const final = index === segments.length - 1;
    if (final ? !last.isFile() : !last.isDirectory()) return undefined;
  }
  try {
    if (!isInside(realRoot, realpathSync.native(path))) return undefined;
  } catch {
    return undefined;
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch {
    return undefined;
  }
  const stat = fstatSync(fd);
  if (!stat.isFile() || stat.ino !== last!.ino || stat.dev !== last!.dev) {
    closeSync(fd);
    return undefined;
  }
  return { fd, stat };
}
