import 'reflect-metadata';
import { loadConfig } from '../config/host-config';
import { PluginError } from '../errors/plugin-error';
import { parseArgs } from './cli-args';
import { COMMANDS, unknownCommand, type Command } from './cli-commands';

function help(): string {
  const width = Math.max(...Object.values(COMMANDS).map((c) => c.usage.length));
  return [
    'Usage: appnest <command> [options]',
    '',
    'Commands:',
    ...Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    '',
    'Every command reads PORT, DATABASE_URL, APPNEST_DATA_DIR, APPNEST_PLUGINS_DIR and APPNEST_ADMIN_TOKEN.',
    'Commands that change state talk to the running host when one is up (the change is live),',
    'and start the host in-process for the command when none is.',
  ].join('\n');
}

function commandHelp(name: string, command: Command): string {
  return `Usage: appnest ${command.usage}\n\n${command.summary}`;
}

export async function runCli(argv: string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  try {
    const first = parseArgs(argv);
    if (!first.command) {
      out(help());
      return first.flags.help || first.flags.h ? 0 : 1;
    }
    const command = COMMANDS[first.command];
    if (!command) throw unknownCommand(first.command);
    const args = parseArgs(argv, command.valueFlags);
    if (args.flags.help || args.flags.h) {
      out(commandHelp(first.command, command));
      return 0;
    }
    const [min, max] = command.arity;
    if (args.positionals.length < min || args.positionals.length > max) {
      throw new PluginError('PLG_BAD_REQUEST', `'${first.command}' takes ${min === max ? min : `${min} to ${max}`} argument(s), got ${args.positionals.length}.`, {
        hint: `Usage: appnest ${command.usage}`,
      });
    }
    await command.run({ args, config: loadConfig(), out });
    return 0;
  } catch (err) {
    const error = err instanceof PluginError ? err : new PluginError('PLG_INTERNAL', (err as Error).message, { cause: err });
    process.stderr.write(`${error.code}: ${error.message}\n`);
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    return 1;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
