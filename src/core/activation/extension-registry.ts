import { PluginError } from '../../errors/plugin-error';
import type { Contribution, ExtensionPoints, ExtensionPointSpec } from '../../sdk/extension-points';

const HOST = 'the host';

/** Every declared extension point and its live contributions, across all active plugins. */
export class ExtensionRegistry {
  private readonly points = new Map<string, ExtensionPointSpec & { owner: string }>();
  private readonly contributions = new Map<string, Contribution[]>();

  declare(owner: string, point: string, spec: ExtensionPointSpec): void {
    const existing = this.points.get(point);
    if (existing && existing.owner !== owner) {
      throw new PluginError('PLG_EXTENSION_DUPLICATE', `Extension point '${point}' is already declared by ${label(existing.owner)}; ${label(owner)} cannot declare it again.`, {
        pluginId: owner === HOST ? undefined : owner,
        hint: `Name extension points after their plugin, e.g. '${owner}.${point}'.`,
      });
    }
    this.points.set(point, { ...spec, owner });
  }

  contribute(pluginId: string, point: string, implementation: object): void {
    const spec = this.points.get(point);
    if (!spec) {
      throw new PluginError('PLG_EXTENSION_UNKNOWN', `Plugin '${pluginId}' contributes to extension point '${point}', which nothing declares.`, {
        pluginId,
        hint: `Add the plugin that declares '${point}' to "dependsOn" so it starts first.`,
      });
    }
    const missing = spec.required.find((member) => !(member in implementation));
    if (missing) {
      throw new PluginError('PLG_EXTENSION_INVALID', `Plugin '${pluginId}' contributes to '${point}' without the required member '${missing}'.`, {
        pluginId,
        hint: `Implement ${spec.required.map((m) => `'${m}'`).join(', ')}.`,
        details: { point, member: missing },
      });
    }
    this.contributions.set(point, [...(this.contributions.get(point) ?? []), { pluginId, implementation }]);
  }

  list(point: string): Contribution[] {
    return [...(this.contributions.get(point) ?? [])];
  }

  /** Forgets what a stopping plugin declared and contributed. */
  remove(pluginId: string): void {
    for (const [point, spec] of this.points) if (spec.owner === pluginId) this.points.delete(point);
    for (const [point, list] of this.contributions) {
      const kept = list.filter((c) => c.pluginId !== pluginId && this.points.has(point));
      if (kept.length) this.contributions.set(point, kept);
      else this.contributions.delete(point);
    }
  }

  /** The ExtensionPoints service a plugin injects, bound to it. */
  bind(pluginId: string): ExtensionPoints {
    return {
      declare: (point, spec) => this.declare(pluginId, point, spec),
      contribute: (point, implementation) => this.contribute(pluginId, point, implementation),
      list: <T>(point: string) => this.list(point).map((c) => c.implementation as T),
      contributions: <T>(point: string) => this.list(point) as Contribution<T>[],
    };
  }
}

function label(owner: string): string {
  return owner === HOST ? HOST : `plugin '${owner}'`;
}
