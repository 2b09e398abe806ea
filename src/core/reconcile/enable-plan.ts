import { PluginError } from '../../errors/plugin-error';
import { conflicts, dependencyClosure, dependentClosure, type ResolverInput } from './plugin-resolver';
import type { PluginEntry } from '../registry/plugin-entry';

export interface PlanContext {
  entry: (id: string) => PluginEntry;
  inputs: ResolverInput[];
}

/**
 * The plugins to enable with `id` (its missing dependencies first, then itself), after the checks
 * that refuse the change before anything is stored: files present, descriptor valid, dependencies
 * installed, trust accepted for first enables, no conflict with an enabled plugin.
 */
export function planEnable(id: string, acceptRisk: boolean, ctx: PlanContext & { pluginsDir: string }): string[] {
  const entry = ctx.entry(id);
  if (!entry.discovered) {
    throw new PluginError('PLG_FILES_MISSING', `Plugin '${id}' cannot be enabled: its files are gone from ${ctx.pluginsDir}.`, {
      pluginId: id,
      hint: 'Put the plugin folder back (or install it again), then reload.',
    });
  }
  if (entry.discovered.error) throw entry.discovered.error;
  const inputs = ctx.inputs;
  const byId = new Map(inputs.map((p) => [p.id, p]));
  const dependencies = dependencyClosure(id, byId);
  const missing = dependencies.find((dep) => !byId.has(dep));
  if (missing) {
    throw new PluginError('PLG_DEPENDENCY_MISSING', `Plugin '${id}' depends on '${missing}', which is not installed.`, {
      pluginId: id,
      hint: `Install '${missing}' first.`,
      details: { dependency: missing },
    });
  }
  const targets = [...dependencies, id].filter((t) => !ctx.entry(t).record.enabled);
  const untrusted = targets.filter((t) => !ctx.entry(t).record.everEnabled);
  if (untrusted.length && !acceptRisk) {
    throw new PluginError('PLG_TRUST_REQUIRED', `Enabling '${untrusted.join("', '")}' for the first time runs its code with the host's full rights.`, {
      pluginId: id,
      hint: 'Review the plugin, then enable it again with "acceptRisk": true (CLI: --accept-risk).',
      details: { plugins: untrusted },
    });
  }
  for (const target of targets) {
    const clash = inputs.find((other) => other.enabled && other.id !== target && conflicts(byId.get(target)!, other));
    if (clash) {
      throw new PluginError('PLG_CONFLICT', `Plugin '${target}' conflicts with '${clash.id}', which is enabled.`, {
        pluginId: target,
        hint: `Disable '${clash.id}' first.`,
        details: { conflictsWith: clash.id },
      });
    }
  }
  return targets;
}

/** The plugins to disable with `id`: its enabled dependents first, then itself. */
export function planDisable(id: string, ctx: PlanContext): string[] {
  return [...dependentClosure(id, ctx.inputs), id].filter((t) => ctx.entry(t).record.enabled);
}
