import { JSON_OPTION, print, stringFlag, withHost, type Command } from '../command';
import { withProgress } from '../progress';

const enc = encodeURIComponent;

export const MIGRATION_COMMANDS: Record<string, Command> = {
  migrate: {
    usage: 'migrate [id]',
    summary: 'apply pending migrations of one enabled plugin, or of all',
    options: [JSON_OPTION],
    arity: [0, 1],
    run: (ctx) =>
      withHost(ctx, async (call) => {
        const [id] = ctx.args.positionals;
        const applied: Record<string, string[]> = await withProgress(id ? `Applying the migrations of '${id}'` : 'Applying migrations', () =>
          call('POST', id ? `/api/admin/plugins/${enc(id)}/migrate` : '/api/admin/migrate'),
        );
        const lines = Object.entries(applied).map(([plugin, names]) => `${plugin}: ${names.length ? names.join(', ') : 'up to date'}`);
        print(ctx, applied, () => (lines.length ? lines : 'No enabled plugin has migrations.'));
      }),
  },
  'migrate:revert': {
    usage: 'migrate:revert <id> [--to <name>]',
    summary: "revert a disabled plugin's migrations newest first, down to (not including) --to",
    options: [['--to <name>', 'keep this migration and the ones before it'], JSON_OPTION],
    valueFlags: ['to'],
    arity: [1, 1],
    run: (ctx) =>
      withHost(ctx, async (call) => {
        const [id] = ctx.args.positionals;
        const result: { reverted: string[] } = await withProgress(`Reverting the migrations of '${id}'`, () =>
          call('POST', `/api/admin/plugins/${enc(id)}/migrate/revert`, { to: stringFlag(ctx, 'to') }),
        );
        print(ctx, result, () => (result.reverted.length ? `Reverted: ${result.reverted.join(', ')}` : 'Nothing to revert.'));
      }),
  },
  'migrate:redo': {
    usage: 'migrate:redo <id>',
    summary: "in development: revert a plugin's newest applied migration and apply it again, as its file reads now",
    options: [JSON_OPTION],
    arity: [1, 1],
    run: (ctx) =>
      withHost(ctx, async (call) => {
        const [id] = ctx.args.positionals;
        const result: { redone: string } = await withProgress(`Redoing the last migration of '${id}'`, () => call('POST', `/api/admin/plugins/${enc(id)}/migrate/redo`));
        print(ctx, result, () => `Redone: ${result.redone}`);
      }),
  },
  'migration:create': {
    usage: 'migration:create <id> <name>',
    summary: 'write a timestamped migration skeleton into the plugin',
    options: [JSON_OPTION],
    arity: [2, 2],
    run: async (ctx) => {
      const [id, name] = ctx.args.positionals;
      const { createMigration } = require('../migration-template') as typeof import('../migration-template');
      const file = createMigration(ctx.config.pluginsDir, id, name);
      print(ctx, { file }, () => `Created ${file}`);
    },
  },
};
