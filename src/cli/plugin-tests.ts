import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readPluginFolder } from '../discovery/plugin-scanner';
import { markerIn } from '../discovery/plugin-layout';

/** node:test files; Jest's are JEST_SPEC_FILE (`*.spec.ts`, `*.e2e-spec.ts`). */
export const NODE_TEST_FILE = /\.test\.(ts|mts|cts|js)$/;
const NOT_SEARCHED = new Set(['node_modules', 'frontend', 'web']);

/** The files of a plugin whose name matches `pattern`, anywhere but node_modules, frontend/, web/ and dot folders, sorted. */
export function findTestFiles(pluginDir: string, pattern: RegExp = NODE_TEST_FILE): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.') || NOT_SEARCHED.has(name)) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (pattern.test(name)) found.push(path);
    }
  };
  walk(pluginDir);
  return found;
}

/** true when `dir` looks like one plugin rather than a folder of plugins. */
export function isPluginFolder(dir: string): boolean {
  return existsSync(join(dir, 'plugin.json')) || !!markerIn(dir) || !!markerIn(join(dir, 'backend'));
}

/** The plugin folders in `dir`: itself when it is one, else its sub-folders that are. */
export function pluginFoldersIn(dir: string): string[] {
  if (isPluginFolder(dir)) return [dir];
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir)
    .sort()
    .filter((name) => !name.startsWith('.'))
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isDirectory() && isPluginFolder(path));
}

export interface PluginTestRun {
  pluginId: string;
  files: string[];
  exitCode: number;
}

/** Runs one plugin's test files in a child process (node:test, spec output) and resolves with its exit code. */
export function runPluginTests(pluginDir: string, files: string[], reporter: string): Promise<PluginTestRun> {
  const pluginId = readPluginFolder(pluginDir, 'plugins').id;
  const args = ['--enable-source-maps', `--test-reporter=${reporter}`, join(__dirname, 'plugin-test-runner.js'), pluginDir, ...files];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', cwd: pluginDir });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ pluginId, files: files.map((f) => relative(pluginDir, f)), exitCode: code ?? (signal ? 1 : 0) }));
  });
}
