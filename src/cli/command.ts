import type { HostConfig } from '../config/host-config';
import type { ParsedArgs } from './cli-args';
import type { HostConnection } from './host-connection';

export interface CommandContext {
  /** The command's name, as typed. */
  command: string;
  args: ParsedArgs;
  config: HostConfig;
  out: (line: string) => void;
}

export interface Command {
  usage: string;
  summary: string;
  /** Options shown by `appnest <command> --help`: [flag, what it does]. */
  options?: [string, string][];
  /** Options that take a value. */
  valueFlags?: string[];
  /** How many positionals: [min, max]. */
  arity: [number, number];
  /** Resolves to the exit code (0 when it resolves to nothing). */
  run(ctx: CommandContext): Promise<number | void>;
}

export type Call = <R = unknown>(method: string, path: string, body?: unknown) => Promise<R>;

export const JSON_OPTION: [string, string] = ['--json', 'print the result as JSON'];

/** Runs `work` against the running host, or against a host started in-process for the command. */
export async function withHost<T>(ctx: CommandContext, work: (call: Call, host: HostConnection) => Promise<T>): Promise<T> {
  // Loaded on use, as the other heavy modules of the commands: --help and argument errors stay instant.
  const { connect } = require('./host-connection') as typeof import('./host-connection');
  const host = await connect(ctx.config, ctx.command);
  try {
    return await work((method, path, body) => host.call(method, path, body), host);
  } finally {
    await host.close();
  }
}

export function stringFlag(ctx: CommandContext, name: string): string | undefined {
  const value = ctx.args.flags[name];
  return typeof value === 'string' ? value : undefined;
}

/** Prints `value` as JSON under --json, else the lines `text` gives. */
export function print(ctx: CommandContext, value: unknown, text: () => string | string[]): void {
  if (ctx.args.flags.json) return ctx.out(JSON.stringify(value, null, 2));
  const lines = text();
  for (const line of Array.isArray(lines) ? lines : [lines]) ctx.out(line);
}
