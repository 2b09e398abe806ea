import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { formatFinding } from '../../doctor/doctor-finding';
import { PluginError } from '../../errors/plugin-error';
import { scaffoldPlugin } from '../../scaffold/plugin-scaffold';
import { JSON_OPTION, print, stringFlag, type Command, type CommandContext } from '../command';
import { JEST_SPEC_FILE } from '../plugin-jest-config';
import { runPluginJest } from '../plugin-jest-runner';
import { findTestFiles, isPluginFolder, NODE_TEST_FILE, pluginFoldersIn, runPluginTests, type PluginTestRun } from '../plugin-tests';
import { formatBytes, withProgress } from '../progress';

/** Compiled code of the authoring commands, shared across runs (keyed by content hash). */
const compileCacheDir = () => join(tmpdir(), 'appnest-cli-cache');

/** The folder a command works on: the one given, the working folder when it is a plugin, else the plugins folder. */
function targetDir(ctx: CommandContext): string {
  const [dir] = ctx.args.positionals;
  if (dir) return resolve(dir);
  return isPluginFolder(process.cwd()) ? process.cwd() : ctx.config.pluginsDir;
}

/** Every folder the doctor checks: the target itself when it is (or tries to be) a plugin, else each sub-folder. */
function doctorFolders(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new PluginError('PLG_BAD_REQUEST', `No folder '${dir}'.`, { hint: 'Give a plugin folder or a folder of plugins: appnest doctor plugins/demo' });
  }
  const children = readdirSync(dir)
    .sort()
    .filter((name) => !name.startsWith('.') && statSync(join(dir, name)).isDirectory())
    .map((name) => join(dir, name));
  if (isPluginFolder(dir) || !children.some(isPluginFolder)) return [dir];
  return children;
}

async function runTests(ctx: CommandContext): Promise<number> {
  const dir = targetDir(ctx);
  const plugins = pluginFoldersIn(dir).map((folder) => ({ folder, specs: findTestFiles(folder, JEST_SPEC_FILE), nodeTests: findTestFiles(folder, NODE_TEST_FILE) }));
  const withTests = plugins.filter((p) => p.specs.length + p.nodeTests.length > 0);
  if (withTests.length === 0) {
    throw new PluginError('PLG_BAD_REQUEST', `No plugin test files (*.spec.ts, *.e2e-spec.ts or *.test.ts) in ${dir}.`, {
      hint: 'Put Jest specs beside the code (demo.service.spec.ts) and in <plugin>/test/ (demo.e2e-spec.ts); appnest new writes both.',
    });
  }
  const reporter = stringFlag(ctx, 'reporter') ?? 'spec';
  let failed = 0;
  for (const { folder, specs, nodeTests } of withTests) {
    const runs: PluginTestRun[] = [];
    if (specs.length > 0) runs.push(await runPluginJest(folder, specs));
    if (nodeTests.length > 0) runs.push(await runPluginTests(folder, nodeTests, reporter));
    for (const run of runs) {
      if (run.exitCode !== 0) failed++;
      ctx.out(`${run.exitCode === 0 ? 'PASS' : 'FAIL'} ${run.pluginId} (${run.files.join(', ')})`);
    }
  }
  return failed === 0 ? 0 : 1;
}

function runDoctor(ctx: CommandContext): number {
  const { PluginDoctor } = require('../../doctor/plugin-doctor') as typeof import('../../doctor/plugin-doctor');
  const { PluginCompiler } = require('../../loader/plugin-compiler') as typeof import('../../loader/plugin-compiler');
  const doctor = new PluginDoctor(new PluginCompiler(compileCacheDir()));
  const checkups = doctorFolders(targetDir(ctx)).map((folder) => doctor.check(folder));
  const findings = checkups.flatMap((c) => c.findings);
  const errors = findings.filter((f) => f.severity === 'error').length;
  print(ctx, checkups, () => [
    "Note: doctor imports each plugin's backend (its top-level code runs) to read its entities and @Action methods.",
    ...findings.map(formatFinding),
    `Checked ${checkups.length} plugin(s): ${errors} error(s), ${findings.length - errors} warning(s).`,
  ]);
  return errors > 0 ? 1 : 0;
}

export const AUTHORING_COMMANDS: Record<string, Command> = {
  new: {
    usage: 'new <id> [--frontend] [--dir <path>]',
    summary: 'write a new plugin that works at once: entity, migration, routes, task, setting, action, Jest specs',
    options: [['--frontend', 'add a Vite frontend source (web/) and a prebuilt page (frontend/)'], ['--dir <path>', 'create it in this folder instead of APPNEST_PLUGINS_DIR'], JSON_OPTION],
    valueFlags: ['dir'],
    arity: [1, 1],
    run: async (ctx) => {
      const [id] = ctx.args.positionals;
      const result = scaffoldPlugin({ id, parentDir: stringFlag(ctx, 'dir') ?? ctx.config.pluginsDir, frontend: ctx.args.flags.frontend === true });
      const where = relative(process.cwd(), result.dir) || '.';
      print(ctx, result, () => [
        `Created plugin '${id}' in ${result.dir}`,
        ...result.files.map((f) => `  ${f}`),
        '',
        'Next:',
        `  appnest test ${where}`,
        `  appnest dev    and, in another terminal: appnest enable ${id} --accept-risk`,
        `  appnest pack ${where} -o ${id}.zip`,
      ]);
    },
  },
  test: {
    usage: 'test [dir] [--reporter <name>]',
    summary: "run a plugin's Jest specs (*.spec.ts, *.e2e-spec.ts) and node:test files (*.test.ts) with the host's tools; no npm install",
    options: [['--reporter <name>', 'node:test reporter: spec (default), tap or dot (Jest keeps its own)']],
    valueFlags: ['reporter'],
    arity: [0, 1],
    run: runTests,
  },
  pack: {
    usage: 'pack <dir> [-o out.zip]',
    summary: 'build a precompiled plugin zip, checked with the install rules, and print its SHA-256',
    options: [['-o, --out <file>', 'the zip to write (default: <id>-<version>.zip)'], JSON_OPTION],
    valueFlags: ['o', 'out'],
    arity: [1, 1],
    run: async (ctx) => {
      const out = stringFlag(ctx, 'o') ?? stringFlag(ctx, 'out');
      const { packPlugin } = require('../../pack/plugin-packer') as typeof import('../../pack/plugin-packer');
      const result = await withProgress('Packing', (progress) => packPlugin(ctx.args.positionals[0], { out, onStep: (label) => progress.step(label) }));
      print(ctx, result, () => [
        `Packed ${result.id} ${result.version}: ${result.file} (${result.files} files, ${result.compiled} compiled, ${result.dependencies.length} npm packages, ${formatBytes(result.bytes)})`,
        ...(result.leftOut.length ? [`left out (host state or secrets): ${result.leftOut.join(', ')}`] : []),
        `sha256 ${result.sha256}`,
      ]);
    },
  },
  doctor: {
    usage: 'doctor [dir]',
    summary: 'check a plugin folder (or every plugin) without enabling it; one line per finding',
    options: [JSON_OPTION],
    arity: [0, 1],
    run: async (ctx) => runDoctor(ctx),
  },
};
