import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readPluginFolder } from '../discovery/plugin-scanner';
import { PluginError } from '../errors/plugin-error';
import { findHostRoot } from '../scaffold/host-root';
import { pluginJestConfig } from './plugin-jest-config';
import type { PluginTestRun } from './plugin-tests';

const JEST_CONFIG_FILES = ['jest.config.js', 'jest.config.cjs', 'jest.config.mjs', 'jest.config.json'];

/** The plugin's own jest.config, or the host's default for plugins as JSON. */
function jestConfigFor(pluginDir: string, hostRoot: string): string {
  const own = JEST_CONFIG_FILES.map((name) => join(pluginDir, name)).find((file) => existsSync(file));
  return own ?? JSON.stringify(pluginJestConfig(pluginDir, hostRoot));
}

function jestBinary(pluginId: string, hostRoot: string): string {
  try {
    return require.resolve('jest/bin/jest', { paths: [hostRoot] });
  } catch (err) {
    throw new PluginError('PLG_BAD_REQUEST', `Cannot run the Jest specs of plugin '${pluginId}': jest is not installed beside the host in ${hostRoot}.`, {
      pluginId,
      hint: `Run npm install in ${hostRoot} (jest, @swc/jest, @nestjs/testing and supertest are its dev dependencies).`,
      cause: err,
    });
  }
}

/**
 * Runs one plugin's Jest specs with the host's Jest in a child process and resolves with its exit
 * code. The plugin needs no npm install: its config takes Jest's helpers and the SDK from the host
 * (APPNEST_HOST_ROOT), wherever the plugin folder is.
 */
export function runPluginJest(pluginDir: string, files: string[]): Promise<PluginTestRun> {
  const pluginId = readPluginFolder(pluginDir, 'plugins').id;
  const hostRoot = findHostRoot();
  // As the host's own npm test: Jest's vm modules let PGlite's dynamic import() run.
  const args = ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', jestBinary(pluginId, hostRoot), '--config', jestConfigFor(pluginDir, hostRoot), '--watchman=false'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit', cwd: pluginDir, env: { ...process.env, APPNEST_HOST_ROOT: hostRoot } });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ pluginId, files: files.map((f) => relative(pluginDir, f)), exitCode: code ?? (signal ? 1 : 0) }));
  });
}
