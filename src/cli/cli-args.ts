import { PluginError } from '../errors/plugin-error';

export interface ParsedArgs {
  command?: string;
  positionals: string[];
  flags: Record<string, string | boolean>;
}

/** `cmd a b --flag --key value --key=value -o value`; `--` ends the flags. */
export function parseArgs(argv: string[], valueFlags: readonly string[] = []): ParsedArgs {
  const positionals: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    const long = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    const short = /^-([a-z])$/.exec(arg);
    if (long || short) {
      const name = long ? long[1] : short![1];
      if (long?.[2] !== undefined) flags[name] = long[2];
      else if (valueFlags.includes(name)) {
        const value = argv[++i];
        if (value === undefined) throw new PluginError('PLG_BAD_REQUEST', `Option --${name} needs a value.`, { hint: `Write --${name} <value>.` });
        flags[name] = value;
      } else flags[name] = true;
      continue;
    }
    positionals.push(arg);
  }
  const [command, ...rest] = positionals;
  return { command, positionals: rest, flags };
}
