import 'reflect-metadata';
import { loadConfig } from '../config/host-config';
import { PluginError } from '../errors/plugin-error';
import { parseArgs } from './cli-args';
import type { Command } from './command';
import { COMMANDS, unknownCommand } from './commands';

function help(): string {
  const width = Math.max(...Object.values(COMMANDS).map((c) => c.usage.length));
  return [
    'Usage: appnest <command> [options]',
    '',
    'Commands:',
    ...Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    '',
    'Run appnest <command> --help for its options.',
    'Every command reads PORT, DATABASE_URL, APPNEST_DATA_DIR, APPNEST_PLUGINS_DIR and APPNEST_ADMIN_TOKEN.',
    'Commands that change state talk to the running host when one is up (the change is live),',
    'and start the host in-process for the command when none is (never inside a plugin folder:',
    'there they find the host running above it, or refuse).',
  ].join('\n');
}

function commandHelp(command: Command): string {
  const options = [...(command.options ?? []), ['-h, --help', 'show this help'] as [string, string]];
  const width = Math.max(...options.map(([flag]) => flag.length));
  return [`Usage: appnest ${command.usage}`, '', command.summary, '', 'Options:', ...options.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`)].join('\n');
}

/** The option names a command accepts, read from its documented options. */
function knownFlags(command: Command): Set<string> {
  const names = (command.options ?? []).flatMap(([flag]) => [...flag.matchAll(/(?:^|[\s,])--?([a-z][a-z0-9-]*)/g)].map((m) => m[1]));
  return new Set(['help', 'h', ...names, ...(command.valueFlags ?? [])]);
}

function checkArgs(name: string, command: Command, positionals: string[], flags: Record<string, unknown>): void {
  const usage = { hint: `Usage: appnest ${command.usage} (appnest ${name} --help for the options)` };
  const unknown = Object.keys(flags).find((flag) => !knownFlags(command).has(flag));
  if (unknown) throw new PluginError('PLG_BAD_REQUEST', `'${name}' has no option ${unknown.length === 1 ? '-' : '--'}${unknown}.`, usage);
  const [min, max] = command.arity;
  if (positionals.length < min || positionals.length > max) {
    throw new PluginError('PLG_BAD_REQUEST', `'${name}' takes ${min === max ? min : `${min} to ${max}`} argument(s), got ${positionals.length}.`, usage);
  }
}

export async function runCli(argv: string[], out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<number> {
  try {
    const first = parseArgs(argv);
    if (!first.command || first.command === 'help') {
      const topic = first.positionals[0];
      if (topic && COMMANDS[topic]) out(commandHelp(COMMANDS[topic]));
      else out(help());
      return first.command === 'help' || first.flags.help || first.flags.h ? 0 : 1;
    }
    const command = COMMANDS[first.command];
    if (!command) throw unknownCommand(first.command);
    const args = parseArgs(argv, command.valueFlags);
    if (args.flags.help || args.flags.h) {
      out(commandHelp(command));
      return 0;
    }
    checkArgs(first.command, command, args.positionals, args.flags);
    return (await command.run({ command: first.command, args, config: loadConfig(), out })) ?? 0;
  } catch (err) {
    const error = err instanceof PluginError ? err : new PluginError('PLG_INTERNAL', (err as Error).message, { cause: err });
    process.stderr.write(`${error.code}: ${error.message}\n`);
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    return 1;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
