import { PluginError } from '../errors/plugin-error';
import type { ActionContext } from '../sdk/action.decorator';
import type { ActionEntry } from './discover-actions';

/** Calls an action method with `(params, context)` and returns its awaited result; a throw becomes PLG_ACTION_FAILED. */
export async function runAction(entry: ActionEntry, params: unknown, context: ActionContext): Promise<unknown> {
  const method = (entry.instance as Record<string, unknown>)[entry.methodName] as (params: unknown, context: ActionContext) => unknown;
  try {
    return await method.call(entry.instance, params, context);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new PluginError('PLG_ACTION_FAILED', `Plugin '${entry.pluginId}' action '${entry.actionId}' failed: ${reason}`, {
      pluginId: entry.pluginId,
      hint: 'The plugin threw this error itself; check the parameters sent and the plugin log.',
      cause: err,
      details: { action: entry.actionId },
    });
  }
}
