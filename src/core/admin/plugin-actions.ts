import type { LoggerService } from '@nestjs/common';
import { discoverActions, type ActionEntry } from '../../actions/discover-actions';
import { runAction } from '../../actions/run-action';
import { PluginError } from '../../errors/plugin-error';
import type { HostLogger } from '../../logging/host-logger';
import type { PluginActivation } from '../activation/plugin-activation';
import type { PluginRegistry } from '../registry/plugin-registry';
import type { Actor, AuditLog } from './audit-log';

/** Runs the actions a plugin declares in plugin.json and marks with @Action. */
export class PluginActions {
  private readonly found = new WeakMap<PluginActivation, Map<string, ActionEntry>>();

  constructor(
    private readonly deps: {
      registry: PluginRegistry;
      activation: (id: string) => PluginActivation | undefined;
      audit: AuditLog;
      logger: HostLogger;
      settings: (id: string) => Record<string, unknown>;
    },
  ) {}

  /** Runs a plugin action with `(params, { settings, logger })` and returns its result. */
  async run(id: string, actionId: string, params: unknown, actor: Actor): Promise<unknown> {
    const plugin = this.deps.registry.require(id);
    if (!plugin.record.enabled) {
      throw new PluginError('PLG_DISABLED', `Plugin '${id}' is disabled; enable it to run its actions.`, { pluginId: id, hint: `Enable '${id}' first.` });
    }
    const activation = this.deps.activation(id);
    if (!activation)
      throw new PluginError('PLG_NOT_ACTIVE', `Plugin '${id}' is enabled but ${plugin.state}; its actions cannot run.`, { pluginId: id, hint: 'Fix the error shown for the plugin first.' });
    const declared = (plugin.discovered?.descriptor.actions ?? []).map((a) => a.id);
    let found = this.found.get(activation);
    if (!found) this.found.set(activation, (found = discoverActions(activation.app, activation.backend.modules, id)));
    const entry = found.get(actionId);
    if (!entry || !declared.includes(actionId)) {
      throw new PluginError('PLG_ACTION_NOT_FOUND', `Plugin '${id}' has no action '${actionId}'.`, {
        pluginId: id,
        hint: `Its actions: ${declared.join(', ') || '(none)'}. An action must be declared in plugin.json and marked with @Action('${actionId}').`,
        details: { action: actionId },
      });
    }
    const logger = this.deps.logger.child(`plugin:${id}`);
    const nestLogger: LoggerService = { log: (m) => logger.info(String(m)), error: (m) => logger.error(String(m)), warn: (m) => logger.warn(String(m)), debug: (m) => logger.debug(String(m)) };
    try {
      const result = await runAction(entry, params ?? {}, { settings: this.deps.settings(id), logger: nestLogger });
      await this.deps.audit.record({ ...actor, action: `run ${actionId}`, pluginId: id, outcome: 'ok' });
      return result === undefined ? null : result;
    } catch (err) {
      await this.deps.audit.record({ ...actor, action: `run ${actionId}`, pluginId: id, outcome: 'failed', detail: { code: (err as PluginError).code } });
      throw err;
    }
  }
}
