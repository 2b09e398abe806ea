import 'reflect-metadata';
import { loadConfig } from './config/host-config';
import { startHost } from './host/start-host';
import { PluginError } from './errors/plugin-error';

async function main(): Promise<void> {
  // Source maps stay off here: plugin code then loads from V8's code cache, which starts much
  // faster. `appnest dev` or `node --enable-source-maps` maps plugin stack lines to the TypeScript.
  const host = await startHost(loadConfig());
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    host.logger.info(`${signal}: stopping`);
    host.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        host.logger.error(`Stop failed: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  const code = err instanceof PluginError ? `${err.code}: ` : '';
  process.stderr.write(`${code}${(err as Error).message}\n`);
  if (err instanceof PluginError && err.hint) process.stderr.write(`hint: ${err.hint}\n`);
  process.exit(1);
});
