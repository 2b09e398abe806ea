import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { basename, relative } from 'node:path';

export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

const INLINE_MAP = /\/\/# sourceMappingURL=data:application\/json(?:;charset=utf-8)?;base64,(\S+)\s*$/;

/** Maps a 1-based line and column of compiled code back to its source through the code's inline source map. */
export function originalPosition(compiledCode: string, file: string, line: number, column: number): SourcePosition {
  const payload = INLINE_MAP.exec(compiledCode)?.[1];
  if (!payload) return { file, line, column };
  try {
    const map = new SourceMap(JSON.parse(Buffer.from(payload, 'base64').toString('utf8')));
    const entry = map.findEntry(line - 1, column - 1) as { originalLine?: number; originalColumn?: number };
    if (entry.originalLine === undefined || entry.originalColumn === undefined) return { file, line, column };
    return { file, line: entry.originalLine + 1, column: entry.originalColumn + 1 };
  } catch {
    return { file, line, column };
  }
}

/** The first frame of `stack` in one of `files` (absolute paths): where plugin code failed, as compiled. */
export function firstFrameIn(stack: string | undefined, files: Set<string>): SourcePosition | undefined {
  for (const match of (stack ?? '').matchAll(/\(?((?:\/|[A-Za-z]:\\)[^():\n]+):(\d+):(\d+)\)?$/gm)) {
    if (files.has(match[1])) return { file: match[1], line: Number(match[2]), column: Number(match[3]) };
  }
  return undefined;
}

/** `file.ts:5:23`, relative to the plugin folder. */
export function formatPosition(pluginDir: string, position: SourcePosition): string {
  return `${relative(pluginDir, position.file) || basename(position.file)}:${position.line}:${position.column}`;
}

export interface MissingImport {
  name: string;
  request: string;
  position: SourcePosition;
}

/**
 * Named imports of relative modules that those modules do not export: swc's CommonJS output reads
 * `_binding.Name` off `require("./x")`, which would silently be undefined (and surface later as a
 * Nest error about an undefined provider). `exportsOf` gives the module a request loaded, when it
 * is one compiled from ESM (whose exports are all defined up front, cycles included).
 */
export function missingImports(file: string, compiledCode: string, exportsOf: (request: string) => object | undefined): MissingImport[] {
  // The inline source map is most of the text and holds no code.
  const mapAt = compiledCode.lastIndexOf('\n//# sourceMappingURL=');
  const code = mapAt === -1 ? compiledCode : compiledCode.slice(0, mapAt);
  const imports = new Map<string, { request: string; target: object; names: Set<string> }>();
  for (const [, binding, request] of code.matchAll(/^const (_\w+) = (?:\/\*#__PURE__\*\/ _interop_require_\w+\()?require\("(\.[^"]+)"\)/gm)) {
    const target = exportsOf(request);
    if (target) imports.set(binding, { request, target, names: new Set() });
  }
  if (imports.size === 0) return [];
  for (const [, binding, name] of code.matchAll(/\b(_\w+)\.([A-Za-z_$][\w$]*)/g)) imports.get(binding)?.names.add(name);
  const missing: MissingImport[] = [];
  let source: string | undefined;
  for (const { request, target, names } of imports.values()) {
    for (const name of names) {
      if (name === 'default' || name in target) continue;
      source ??= readFileSync(file, 'utf8');
      missing.push({ name, request, position: importPosition(file, source, name, request) });
    }
  }
  return missing;
}

/** Where `name` stands in the import of `request` in the source, else the first line. */
function importPosition(file: string, source: string, name: string, request: string): SourcePosition {
  const specifier = request.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const statement = new RegExp(`import\\s*(?:type\\s+)?\\{[^}]*\\}\\s*from\\s*['"]${specifier}(?:\\.js)?['"]`).exec(source);
  const offset = statement ? statement.index + statement[0].search(new RegExp(`\\b${name}\\b`)) : 0;
  const before = source.slice(0, Math.max(0, offset)).split('\n');
  return { file, line: before.length, column: before[before.length - 1].length + 1 };
}
