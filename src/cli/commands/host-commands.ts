import type { AppnestHost } from '../../core/appnest-host';
import { PluginError } from '../../errors/plugin-error';
import { stringFlag, type Command, type CommandContext } from '../command';
import { enclosingPlugin, hostInsidePlugin } from '../enclosing-plugin';

const hostModule = () => require('../../host/start-host') as typeof import('../../host/start-host');

/** Resolves once SIGINT or SIGTERM has stopped the host (and whatever `before` closes first). */
function runUntilSignal(host: AppnestHost, before: () => Promise<void> = async () => {}): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      host.logger.info(`${signal}: stopping`);
      before()
        .then(() => host.stop())
        .then(
          () => resolve(0),
          (err: unknown) => {
            host.logger.error(`Stop failed: ${(err as Error).message}`);
            resolve(1);
          },
        );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

/** A host started inside a plugin folder would put its data folder (token, database) in the plugin. */
function refuseInsidePlugin(ctx: CommandContext): void {
  const plugin = process.env.APPNEST_DATA_DIR ? undefined : enclosingPlugin(process.cwd());
  if (plugin) throw hostInsidePlugin(plugin, ctx.command);
}

export const HOST_COMMANDS: Record<string, Command> = {
  start: {
    usage: 'start [--safe]',
    summary: 'run the host (HTTP API, admin, plugins) until Ctrl+C, as npm start does',
    options: [['--safe', 'safe mode: start no plugin, list them all with their enabled flags kept (as APPNEST_SAFE_MODE=1)']],
    arity: [0, 0],
    run: async (ctx) => {
      refuseInsidePlugin(ctx);
      const safeMode = ctx.config.safeMode === true || ctx.args.flags.safe === true;
      return runUntilSignal(await hostModule().startHost({ ...ctx.config, safeMode }));
    },
  },
  dev: {
    usage: 'dev [--debounce <ms>]',
    summary: 'run the host and reload a plugin live when its files change; errors show file and line',
    options: [['--debounce <ms>', 'wait this long after the last change before reloading (default 100)']],
    valueFlags: ['debounce'],
    arity: [0, 0],
    run: async (ctx) => {
      const debounce = Number(stringFlag(ctx, 'debounce') ?? 100);
      if (!Number.isInteger(debounce) || debounce < 0) {
        throw new PluginError('PLG_BAD_REQUEST', `--debounce must be a whole number of milliseconds, got '${ctx.args.flags.debounce}'.`, { hint: 'appnest dev --debounce 200' });
      }
      refuseInsidePlugin(ctx);
      // Stack traces of plugin code point at the TypeScript lines (the compiler inlines source maps).
      process.setSourceMapsEnabled(true);
      const host = await hostModule().startHost(ctx.config, { development: true });
      const { DevServer } = require('../dev-server') as typeof import('../dev-server');
      const dev = new DevServer(host, ctx.out, (line) => process.stderr.write(`${line}\n`), debounce);
      dev.start();
      return runUntilSignal(host, () => dev.close());
    },
  },
};
