import { PluginError } from '../../errors/plugin-error';
import type { Command } from '../command';
import { AUTHORING_COMMANDS } from './authoring-commands';
import { HOST_COMMANDS } from './host-commands';
import { JOB_COMMANDS } from './job-commands';
import { MIGRATION_COMMANDS } from './migration-commands';
import { PLUGIN_COMMANDS } from './plugin-commands';
import { LOG_COMMANDS } from './log-commands';

/** Every command, in the order --help lists them. */
export const COMMANDS: Record<string, Command> = {
  ...HOST_COMMANDS,
  ...AUTHORING_COMMANDS,
  ...PLUGIN_COMMANDS,
  ...LOG_COMMANDS,
  ...MIGRATION_COMMANDS,
  ...JOB_COMMANDS,
};

export function unknownCommand(name: string): PluginError {
  const close = Object.keys(COMMANDS).find((c) => c.startsWith(name.slice(0, 3)));
  return new PluginError('PLG_BAD_REQUEST', `Unknown command '${name}'.`, { hint: close ? `Did you mean '${close}'? Run appnest --help for every command.` : 'Run appnest --help for every command.' });
}
