import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import AdmZip from 'adm-zip';
import type { HostConfig } from '../config/host-config';
import { PluginError } from '../errors/plugin-error';
import type { ParsedArgs } from './cli-args';
import { connect, type HostConnection } from './host-connection';
import { createMigration } from './migration-template';

export interface CommandContext {
  args: ParsedArgs;
  config: HostConfig;
  out: (line: string) => void;
}

export interface Command {
  usage: string;
  summary: string;
  /** Options that take a value. */
  valueFlags?: string[];
  /** How many positionals: [min, max]. */
  arity: [number, number];
  run(ctx: CommandContext): Promise<void>;
}

type Call = <R = any>(method: string, path: string, body?: unknown) => Promise<R>;

async function withHost<T>(ctx: CommandContext, work: (call: Call, host: HostConnection) => Promise<T>): Promise<T> {
  const host = await connect(ctx.config);
  try {
    return await work((method, path, body) => host.call(method, path, body), host);
  } finally {
    await host.close();
  }
}

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

/** The bytes of a plugin zip, or of a plugin folder zipped in memory (node_modules and dot-files left out). */
function archiveOf(path: string): { zip: Buffer; name: string } {
  if (!existsSync(path)) throw new PluginError('PLG_BAD_REQUEST', `No file or folder '${path}'.`, { hint: 'Give the path of a plugin .zip or a plugin folder.' });
  if (!statSync(path).isDirectory()) return { zip: readFileSync(path), name: basename(path) };
  const zip = new AdmZip();
  zip.addLocalFolder(path, basename(resolve(path)), (entry) => !/(^|[\\/])(node_modules|\.[^\\/]+)([\\/]|$)/.test(String(entry)));
  return { zip: zip.toBuffer(), name: `${basename(resolve(path))}.zip` };
}

const enc = encodeURIComponent;

function printPlugins(ctx: CommandContext, plugins: any[]): void {
  if (ctx.args.flags.json) return ctx.out(JSON.stringify(plugins, null, 2));
  if (plugins.length === 0) return ctx.out('No plugins installed.');
  const rows = plugins.map((p) => [p.id, p.version, p.state, p.enabled ? 'yes' : 'no', p.error ? `${p.error.code}: ${p.error.message}` : '']);
  const header = ['ID', 'VERSION', 'STATE', 'ENABLED', 'ERROR'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const row of [header, ...rows]) ctx.out(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd());
}

function describeState(p: any): string {
  return `${p.id} ${p.version}: ${p.state}${p.error ? ` (${p.error.code}: ${p.error.message})` : ''}`;
}

export const COMMANDS: Record<string, Command> = {
  list: {
    usage: 'list [--json]',
    summary: 'every plugin with its version, state and error',
    arity: [0, 0],
    run: (ctx) => withHost(ctx, async (call) => printPlugins(ctx, await call('GET', '/api/admin/plugins'))),
  },
  enable: {
    usage: 'enable <id> [--accept-risk]',
    summary: 'enable a plugin (and its dependencies); a first enable needs --accept-risk',
    arity: [1, 1],
    run: (ctx) =>
      withHost(ctx, async (call) => {
        const [id] = ctx.args.positionals;
        const p = await call('POST', `/api/admin/plugins/${enc(id)}/enabled`, { enabled: true, acceptRisk: ctx.args.flags['accept-risk'] === true });
        ctx.out(ctx.args.flags.json ? JSON.stringify(p, null, 2) : describeState(p));
      }),
  },
  disable: {
    usage: 'disable <id>',
    summary: 'disable a plugin (and the plugins that depend on it)',
    arity: [1, 1],
    run: (ctx) =>
      withHost(ctx, async (call) => {
        const p = await call('POST', `/api/admin/plugins/${enc(ctx.args.positionals[0])}/enabled`, { enabled: false });
        ctx.out(ctx.args.flags.json ? JSON.stringify(p, null, 2) : describeState(p));
      }),
  },
  install: {
    usage: 'install <zip|dir> [--overwrite]',
    summary: 'install a plugin from a zip or a folder through the safe archive installer; --overwrite upgrades',
    arity: [1, 1],
    run: (ctx) =>
      withHost(ctx, async (_call, host) => {
        const { zip, name } = archiveOf(ctx.args.positionals[0]);
        const p = await host.upload(zip, name, ctx.args.flags.overwrite === true);
        ctx.out(ctx.args.flags.json ? JSON.stringify(p, null, 2) : `${p.replaced ? 'Upgraded' : 'Installed'} ${describeState(p)}\nsha256 ${p.sha256}`);
      }),
  },
  settings: {
    usage: 'settings <id> [key=value...]',
    summary: 'show a plugin\'s settings, or change some of them (validated against plugin.json)',
    arity: [1, 64],
    run: (ctx) =>
      withHost(ctx, async (call) => {
        const [id, ...pairs] = ctx.args.positionals;
        let p = await call('GET', `/api/admin/plugins/${enc(id)}`);
        if (pairs.length) p = await call('PUT', `/api/admin/plugins/${enc(id)}/settings`, { settings: { ...p.settings, ...parsePairs(pairs) } });
        if (ctx.args.flags.json) return ctx.out(JSON.stringify(p.settings, null, 2));
        for (const [key, value] of Object.entries(p.settings as Record<string, unknown>)) ctx.out(`${key}=${JSON.stringify(value)}`);
      }),
  },
  run: {
    usage: 'run <id> <action> [json-params]',
    summary: 'run a plugin action and print its result',
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
        const { result } = await call('POST', `/api/admin/plugins/${enc(id)}/run`, { action, params });
        ctx.out(JSON.stringify(result, null, 2));
      }),
  },
  uninstall: {
    usage: 'uninstall <id> [--purge]',
    summary: 'disable and remove a plugin; --purge also reverts its migrations and forgets its settings',
    arity: [1, 1],
    run: (ctx) =>
      withHost(ctx, async (call) => {
        const [id] = ctx.args.positionals;
        const result = await call('DELETE', `/api/admin/plugins/${enc(id)}${ctx.args.flags.purge ? '?purge=true' : ''}`);
        ctx.out(`Uninstalled '${id}'${result.purged ? `, purged (reverted: ${result.reverted.join(', ') || 'none'})` : ''}.`);
      }),
  },
  migrate: {
    usage: 'migrate [id]',
    summary: 'apply pending migrations of one enabled plugin, or of all',
    arity: [0, 1],
    run: (ctx) =>
      withHost(ctx, async (call) => {
        const [id] = ctx.args.positionals;
        const applied: Record<string, string[]> = await call('POST', id ? `/api/admin/plugins/${enc(id)}/migrate` : '/api/admin/migrate');
        const lines = Object.entries(applied).map(([plugin, names]) => `${plugin}: ${names.length ? names.join(', ') : 'up to date'}`);
        ctx.out(lines.length ? lines.join('\n') : 'No enabled plugin has migrations.');
      }),
  },
  'migrate:revert': {
    usage: 'migrate:revert <id> [--to <name>]',
    summary: 'revert a disabled plugin\'s migrations newest first, down to (not including) --to',
    valueFlags: ['to'],
    arity: [1, 1],
    run: (ctx) =>
      withHost(ctx, async (call) => {
        const to = typeof ctx.args.flags.to === 'string' ? ctx.args.flags.to : undefined;
        const { reverted } = await call('POST', `/api/admin/plugins/${enc(ctx.args.positionals[0])}/migrate/revert`, { to });
        ctx.out(reverted.length ? `Reverted: ${reverted.join(', ')}` : 'Nothing to revert.');
      }),
  },
  'migration:create': {
    usage: 'migration:create <id> <name>',
    summary: 'write a timestamped migration skeleton into the plugin',
    arity: [2, 2],
    run: async (ctx) => {
      const [id, name] = ctx.args.positionals;
      ctx.out(`Created ${createMigration(ctx.config.pluginsDir, id, name)}`);
    },
  },
};

export function unknownCommand(name: string): PluginError {
  const close = Object.keys(COMMANDS).find((c) => c.startsWith(name.slice(0, 3)));
  return new PluginError('PLG_BAD_REQUEST', `Unknown command '${name}'.`, { hint: close ? `Did you mean '${close}'? Run appnest --help for every command.` : 'Run appnest --help for every command.' });
}
