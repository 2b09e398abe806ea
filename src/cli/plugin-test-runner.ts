import 'reflect-metadata';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPluginFolder } from '../discovery/plugin-scanner';
import { PluginCodeLoader, provideSharedModule } from '../loader/plugin-code-loader';
import { PluginCompiler } from '../loader/plugin-compiler';

function report(err: unknown): void {
  const code = (err as { code?: string }).code;
  process.stderr.write(`${code ? `${code}: ` : ''}${(err as Error).message}\n`);
  process.exitCode = 1;
}

/**
 * The process `appnest test` starts for one plugin: loads its test files through the host's plugin
 * code loader (swc on the fly, `appnest` and `appnest/testing` resolved to this host), so the
 * `node:test` cases they declare run here and set the exit code.
 * Usage: node plugin-test-runner.js <plugin dir> <test file>...
 */
function main([pluginDir, ...files]: string[]): void {
  provideSharedModule('appnest/testing', () => require('../testing/testing'));
  let loader: PluginCodeLoader;
  try {
    const plugin = readPluginFolder(pluginDir, 'plugins');
    loader = new PluginCodeLoader(plugin.id, pluginDir, new PluginCompiler(join(tmpdir(), 'appnest-cli-cache')));
  } catch (err) {
    return report(err);
  }
  for (const file of files) {
    try {
      loader.load(file);
    } catch (err) {
      report(err);
    }
  }
}

main(process.argv.slice(2));
