import type { HostConfig } from '../config/host-config';
import { PluginError } from '../errors/plugin-error';
import type { ParsedArgs } from './cli-args';
import { connect } from './host-connection';
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

async function withHost<T>(ctx: CommandContext, work: (call: <R = any>(method: string, path: string, body?: unknown) => Promise<R>) => Promise<T>): Promise<T> {
  const host = await connect(ctx.config);
  try {
    return await work((method, path, body) => host.call(method, path, body));
  } finally {
    await host.close();
  }
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
