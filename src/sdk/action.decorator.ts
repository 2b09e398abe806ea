import { SetMetadata, type LoggerService } from '@nestjs/common';

export const ACTION_METADATA = 'appnest:action';

/** The second argument of every action method. */
export interface ActionContext {
  /** The plugin's current settings, defaults merged. */
  settings: Readonly<Record<string, unknown>>;
  logger: LoggerService;
}

/**
 * Marks a provider method as the plugin action `id` (declared in plugin.json "actions"). The host
 * calls it as `method(params, context)` and returns what it returns.
 */
export function Action(id: string): MethodDecorator {
  if (typeof id !== 'string' || id === '') throw new TypeError("@Action() needs the action id declared in plugin.json, e.g. @Action('purge').");
  return SetMetadata(ACTION_METADATA, id);
}
