import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const SRC = __dirname;

/** Every source file of the host (tests left out), relative to src/. */
function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [relative(SRC, path)] : [];
  });
}

/** The src/ folder a file (or a folder's index) belongs to ('.' for the entry files at the top). */
function folderOf(path: string): string {
  if (path.includes(sep)) return path.split(sep)[0];
  return statSync(join(SRC, path), { throwIfNoEntry: false })?.isDirectory() ? path : '.';
}

/** Relative imports of a file, type-only ones and `require()`s included, as src/-relative folders. */
function importedFolders(file: string): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\(\s*|^import\s+)['"](\.[^'"]+)['"]/gm)].map((m) => m[1]);
  return specifiers
    .map((s) => relative(SRC, resolve(dirname(join(SRC, file)), s)))
    .filter((target) => !target.startsWith('..'))
    .map(folderOf);
}

function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sourceFiles()) {
    const from = folderOf(file);
    for (const to of importedFolders(file)) {
      if (to === from) continue;
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from)!.add(to);
    }
  }
  return graph;
}

/** The cycles between folders, each as a path `a -> b -> a`. */
function cycles(graph: Map<string, Set<string>>): string[] {
  const found = new Set<string>();
  const visit = (node: string, path: string[]): void => {
    const at = path.indexOf(node);
    if (at >= 0) {
      const loop = path.slice(at);
      const start = loop.indexOf([...loop].sort()[0]);
      found.add([...loop.slice(start), ...loop.slice(0, start), loop[start]].join(' -> '));
      return;
    }
    for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
  };
  for (const node of graph.keys()) visit(node, []);
  return [...found].sort();
}

describe('the import graph of src/', () => {
  const graph = folderGraph();

  it('has no cycle between folders: each folder is a stage that only uses the stages below it', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('keeps the public SDK free of internals: what it takes from elsewhere it re-exports on purpose (plugin.json types, the job API)', () => {
    const used = sourceFiles()
      .filter((file) => folderOf(file) === 'sdk')
      .flatMap((file) => [...readFileSync(join(SRC, file), 'utf8').matchAll(/^(import|export)\b[^;]*?from\s*['"](\.\.\/[^'"]+)['"]/gm)].map((m) => `${m[1]} ${m[2]}`));
    expect(used.filter((line) => line.startsWith('import '))).toEqual([]);
    expect([...(graph.get('sdk') ?? [])].sort()).toEqual(['discovery', 'jobs']);
  });

  it('keeps the core under its adapters: core imports neither the HTTP layer, the cluster, the composition root nor the CLI', () => {
    const core = graph.get('core') ?? new Set();
    for (const above of ['http', 'cluster', 'host', 'cli', 'testing']) expect([above, core.has(above)]).toEqual([above, false]);
  });
});
