import type { InstalledPluginView, PluginView, UninstallResult } from '../../contracts/plugin-view';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import AdmZip from 'adm-zip';
import { PluginQuarantine } from '../../core/reconcile/plugin-quarantine';
import { assertValidPluginId } from '../../discovery/plugin-id';
import { PluginScanner } from '../../discovery/plugin-scanner';
import { PluginError } from '../../errors/plugin-error';
import { listPluginFiles } from '../../discovery/plugin-files';
import { JSON_OPTION, print, withHost, type Command, type CommandContext } from '../command';
import { formatBytes, withProgress } from '../progress';

/** `key=value` pairs; values that parse as JSON (numbers, booleans, null) keep that type. */
function parsePairs(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new PluginError('PLG_BAD_REQUEST', `'${pair}' is not key=value.`, { hint: 'Write settings as key=value, e.g. limit=10 mode=fast.' });
    const raw = pair.slice(at + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    out[pair.slice(0, at)] = value;
  }
  return out;
}

/** The bytes of a plugin zip, or of a plugin folder zipped in memory (node_modules and dot entries but .vite left out). */
function archiveOf(path: string): { zip: Buffer; name: string } {
  if (!existsSync(path)) throw new PluginError('PLG_BAD_REQUEST', `No file or folder '${path}'.`, { hint: 'Give the path of a plugin .zip or a plugin folder.' });
  if (!statSync(path).isDirectory()) return { zip: readFileSync(path), name: basename(path) };
  const top = basename(resolve(path));
  const zip = new AdmZip();
  for (const file of listPluginFiles(path)) zip.addFile(`${top}/${file}`, readFileSync(join(path, file)));
  return { zip: zip.toBuffer(), name: `${top}.zip` };
}

const enc = encodeURIComponent;

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
}

function printPlugins(ctx: CommandContext, plugins: PluginView[]): void {
  print(ctx, plugins, () => {
    if (plugins.length === 0) return 'No plugins installed.';
    const rows = plugins.map((p) => [p.id, p.version, p.degraded ? `${p.state} (degraded)` : p.state, p.enabled ? 'yes' : 'no', p.error ? `${p.error.code}: ${p.error.message}` : '']);
    return table([['ID', 'VERSION', 'STATE', 'ENABLED', 'ERROR'], ...rows]);
  });
}

/**
 * No host answers (none runs, or one hangs in a plugin's code): record the disable in the data
 * folder, which the next start applies before it loads any plugin. Nothing is loaded here.
 */
function disableOffline(ctx: CommandContext, id: string): void {
  assertValidPluginId(id, 'the command line');
  const scan = new PluginScanner(ctx.config.pluginsDir, ctx.config.frontendPluginsDir).scan();
  if (!scan.plugins.some((p) => p.id === id)) {
    throw new PluginError('PLG_NOT_FOUND', `No plugin '${id}' is in ${ctx.config.pluginsDir} or ${ctx.config.frontendPluginsDir}.`, { pluginId: id, hint: 'Check the id with `appnest list`.' });
  }
  new PluginQuarantine(ctx.config.dataDir).add(id, 'offline', `Plugin '${id}' was disabled with \`appnest disable\` while no host answered.`);
  const value = { id, enabled: false, appliedAt: 'next start' };
  print(ctx, value, () => `${id}: disabled; no host answered, so the next start applies it before loading any plugin.`);
}

export const describeState = (p: PluginView): string => `${p.id} ${p.version}: ${p.state}${p.error ? ` (${p.error.code}: ${p.error.message})` : ''}`;

export const PLUGIN_COMMANDS: Record<string, Command> = {
  list: {
    usage: 'list [--json]',
    summary: 'every plugin with its version, state and error',
    options: [JSON_OPTION],
    arity: [0, 0],
    run: (ctx) => withHost(ctx, async (call) => printPlugins(ctx, await call<PluginView[]>('GET', '/api/admin/plugins'))),
  },
  enable: {
    usage: 'enable <id> [--accept-risk]',
    summary: 'enable a plugin (and its dependencies); a first enable needs --accept-risk',
    options: [['--accept-risk', "accept the trust warning: the plugin's code runs with the host's rights"], JSON_OPTION],
    arity: [1, 1],
    run: (ctx) =>
      withHost(ctx, async (call) => {
        const [id] = ctx.args.positionals;
        const p = await withProgress(`Enabling '${id}' (migrations run first)`, () =>
          call<PluginView>('POST', `/api/admin/plugins/${enc(id)}/enabled`, { enabled: true, acceptRisk: ctx.args.flags['accept-risk'] === true }),
        );
        print(ctx, p, () => describeState(p));
      }),
  },
  disable: {
    usage: 'disable <id>',
    summary: 'disable a plugin (and the plugins that depend on it)',
    options: [JSON_OPTION],
    arity: [1, 1],
    run: async (ctx) => {
      const [id] = ctx.args.positionals;
      const { runningHostUrl } = require('../host-connection') as typeof import('../host-connection');
      if (!(await runningHostUrl(ctx.config.dataDir))) return disableOffline(ctx, id);
      await withHost(ctx, async (call) => {
        const p = await call<PluginView>('POST', `/api/admin/plugins/${enc(id)}/enabled`, { enabled: false });
        print(ctx, p, () => describeState(p));
      });
    },
  },
  rollback: {
    usage: 'rollback <id>',
    summary: 'put back the version the last upgrade of a plugin replaced (kept until the next upgrade)',
    options: [JSON_OPTION],
    arity: [1, 1],
    run: (ctx) =>
      withHost(ctx, async (call) => {
        const [id] = ctx.args.positionals;
        const p = await withProgress(`Rolling '${id}' back`, () => call<PluginView>('POST', `/api/admin/plugins/${enc(id)}/rollback`));
        print(ctx, p, () => `rolled back from ${p.rollback?.from ?? 'the upgraded version'}: ${describeState(p)}`);
      }),
  },
  install: {
    usage: 'install <zip|dir> [--overwrite]',
    summary: 'install a plugin from a zip or a folder through the safe archive installer; --overwrite upgrades',
    options: [['--overwrite', 'replace an installed plugin of the same id (an upgrade)'], JSON_OPTION],
    arity: [1, 1],
    run: (ctx) =>
      withHost(ctx, async (_call, host) => {
        const { zip, name } = archiveOf(ctx.args.positionals[0]);
        const p = await withProgress(`Installing ${name} (${formatBytes(zip.length)})`, () => host.upload<InstalledPluginView>(zip, name, ctx.args.flags.overwrite === true));
        print(ctx, p, () => [`${p.replaced ? 'Upgraded' : 'Installed'} ${describeState(p)}`, `sha256 ${p.sha256}`]);
      }),
  },
  settings: {
    usage: 'settings <id> [key=value...]',
    summary: "show a plugin's settings, or change some of them (validated against plugin.json)",
    options: [JSON_OPTION],
    arity: [1, 64],
    run: (ctx) =>
      withHost(ctx, async (call) => {
        const [id, ...pairs] = ctx.args.positionals;
        let p = await call<PluginView>('GET', `/api/admin/plugins/${enc(id)}`);
        if (pairs.length) p = await call<PluginView>('PUT', `/api/admin/plugins/${enc(id)}/settings`, { settings: { ...p.settings, ...parsePairs(pairs) } });
        print(ctx, p.settings, () => Object.entries(p.settings).map(([key, value]) => `${key}=${JSON.stringify(value)}`));
      }),
  },
  run: {
    usage: 'run <id> <action> [json-params]',
    summary: 'run a plugin action and print its result (as JSON)',
    arity: [2, 3],
    run: (ctx) =>
      withHost(ctx, async (call) => {
        const [id, action, json] = ctx.args.positionals;
        let params: unknown = {};
        if (json !== undefined) {
          try {
            params = JSON.parse(json);
          } catch (err) {
            throw new PluginError('PLG_BAD_REQUEST', `The parameters of '${action}' are not JSON: ${(err as Error).message}`, { pluginId: id, hint: `appnest run ${id} ${action} '{"key": 1}'` });
          }
        }
        const { result } = await withProgress(`Running '${id}' action '${action}'`, () => call<{ result: unknown }>('POST', `/api/admin/plugins/${enc(id)}/run`, { action, params }));
        ctx.out(JSON.stringify(result, null, 2));
      }),
  },
  uninstall: {
    usage: 'uninstall <id> [--purge]',
    summary: 'disable and remove a plugin; --purge also reverts its migrations and forgets its settings',
    options: [['--purge', 'also revert its migrations and drop its settings'], JSON_OPTION],
    arity: [1, 1],
    run: (ctx) =>
      withHost(ctx, async (call) => {
        const [id] = ctx.args.positionals;
        const result = await withProgress(`Uninstalling '${id}'`, () => call<UninstallResult>('DELETE', `/api/admin/plugins/${enc(id)}${ctx.args.flags.purge ? '?purge=true' : ''}`));
        print(ctx, result, () => `Uninstalled '${id}'${result.purged ? `, purged (reverted: ${result.reverted.join(', ') || 'none'})` : ''}.`);
      }),
  },
};
