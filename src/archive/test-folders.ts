import { createHash } from 'node:crypto';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

export function makeTempFolder(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `appnest-${prefix}-`));
}

export function removeFolder(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Hash of every path under `dir` with its mode and content (or link target): equal hashes, identical trees. */
export function snapshotFolder(dir: string): string {
  const hash = createHash('sha256');
  const visit = (current: string) => {
    for (const name of readdirSync(current).sort()) {
      const path = join(current, name);
      const stat = lstatSync(path);
      hash.update(`${relative(dir, path)}\0${stat.mode.toString(8)}\0`);
      if (stat.isSymbolicLink()) hash.update(readlinkSync(path));
      else if (stat.isFile()) hash.update(readFileSync(path));
      else if (stat.isDirectory()) visit(path);
      hash.update('\0');
    }
  };
  visit(dir);
  return hash.digest('hex');
}

/** Every path under `dir`, relative, folders with a trailing "/". */
export function listFolder(dir: string): string[] {
  const out: string[] = [];
  const visit = (current: string) => {
    for (const name of readdirSync(current).sort()) {
      const path = join(current, name);
      const isDir = lstatSync(path).isDirectory();
      out.push(relative(dir, path) + (isDir ? '/' : ''));
      if (isDir) visit(path);
    }
  };
  visit(dir);
  return out;
}
