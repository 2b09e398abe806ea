/** The fields of a Vite build manifest chunk that appnest reads. */
interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
  assets?: string[];
}

/** Why a plugin's frontend cannot be served; the message names the manifest and what to do. */
export class FrontendManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrontendManifestError';
  }
}

const HINT = 'Rebuild the frontend with Vite (build.manifest: true) and ship the whole output folder.';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** true for a relative POSIX path that stays in its folder (no `..`, no absolute path, no backslash). */
export function isContainedPath(file: string): boolean {
  if (!file || file.startsWith('/') || /[\\\0]/.test(file) || /^[a-zA-Z]:/.test(file)) return false;
  return file.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

/**
 * A checked Vite build manifest: its entry, the entry's CSS, and every file reachable from the
 * entries (their imports, dynamic imports, CSS and assets). Only those files are ever served.
 */
export class FrontendManifest {
  private constructor(
    readonly entry: string,
    readonly css: readonly string[],
    readonly files: ReadonlySet<string>,
  ) {}

  /** Parses manifest text; `where` names the file in error messages. Throws FrontendManifestError. */
  static parse(text: string, where: string): FrontendManifest {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new FrontendManifestError(`${where} is not valid JSON (${(err as Error).message}). ${HINT}`);
    }
    if (!isRecord(raw)) throw new FrontendManifestError(`${where} must be a JSON object of chunks. ${HINT}`);
    const chunks = new Map<string, ManifestChunk>();
    for (const [key, value] of Object.entries(raw)) chunks.set(key, checkChunk(key, value, where));
    const entries = [...chunks.entries()].filter(([, chunk]) => chunk.isEntry === true);
    if (entries.length === 0) throw new FrontendManifestError(`${where} has no chunk with "isEntry": true. ${HINT}`);

    const files = new Set<string>();
    const visited = new Set<string>();
    const visit = (key: string, from: string): void => {
      const chunk = chunks.get(key);
      if (!chunk) throw new FrontendManifestError(`${where}: chunk "${from}" imports "${key}", which the manifest does not list. ${HINT}`);
      if (visited.has(key)) return;
      visited.add(key);
      for (const file of [chunk.file, ...(chunk.css ?? []), ...(chunk.assets ?? [])]) files.add(file);
      for (const next of [...(chunk.imports ?? []), ...(chunk.dynamicImports ?? [])]) visit(next, key);
    };
    for (const [key] of entries) visit(key, key);
    const [, entry] = entries[0];
    return new FrontendManifest(entry.file, entry.css ?? [], files);
  }

  /** true when `file` (relative, `/`-separated) is one the manifest lists. */
  lists(file: string): boolean {
    return this.files.has(file);
  }
}

function checkChunk(key: string, value: unknown, where: string): ManifestChunk {
  if (!isRecord(value) || typeof value.file !== 'string') {
    throw new FrontendManifestError(`${where}: chunk "${key}" has no "file". ${HINT}`);
  }
  checkFile(value.file, key, where);
  for (const field of ['imports', 'dynamicImports', 'css', 'assets'] as const) {
    const list = value[field];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.some((item) => typeof item !== 'string')) {
      throw new FrontendManifestError(`${where}: "${field}" of chunk "${key}" must be a list of strings. ${HINT}`);
    }
    if (field === 'css' || field === 'assets') for (const file of list as string[]) checkFile(file, key, where);
  }
  return value as unknown as ManifestChunk;
}

function checkFile(file: string, key: string, where: string): void {
  if (!isContainedPath(file)) {
    throw new FrontendManifestError(`${where}: chunk "${key}" points to "${file}", outside the frontend folder. ${HINT}`);
  }
}
