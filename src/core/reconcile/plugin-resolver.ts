import major from 'semver/functions/major';
import satisfies from 'semver/functions/satisfies';
import { PluginError } from '../../errors/plugin-error';
import type { PluginDescriptor } from '../../discovery/plugin-descriptor';

export interface ResolverInput {
  id: string;
  version: string;
  descriptor: PluginDescriptor;
  /** The admin wants it running. */
  enabled: boolean;
}

export interface ResolverResult {
  /** Enabled plugins that may start, dependencies first. */
  order: string[];
  /** Enabled plugins that may not, with the reason. */
  refused: Map<string, PluginError>;
}

/**
 * Decides which enabled plugins can run together (MediaPortal 2's rules): the host range, every
 * dependency installed, enabled and in range, no conflict in either direction, no cycle; and the
 * order to start them in. A refusal spreads to the plugins that depend on the refused one.
 */
export function resolvePlugins(plugins: ResolverInput[], hostVersion: string): ResolverResult {
  const byId = new Map(plugins.map((p) => [p.id, p]));
  const refused = new Map<string, PluginError>();
  const enabled = plugins.filter((p) => p.enabled).sort((a, b) => a.id.localeCompare(b.id));

  for (const p of enabled) {
    const range = p.descriptor.host;
    if (range && !satisfies(hostVersion, range, { includePrerelease: true })) {
      refused.set(
        p.id,
        new PluginError('PLG_HOST_INCOMPATIBLE', `Plugin '${p.id}' needs host ${range} but this host is ${hostVersion}.`, {
          pluginId: p.id,
          hint: `Install a '${p.id}' build for host ${major(hostVersion)}.x or upgrade the host.`,
        }),
      );
      continue;
    }
    for (const [dep, wanted] of Object.entries(p.descriptor.dependsOn ?? {})) {
      const target = byId.get(dep);
      if (!target) {
        refused.set(
          p.id,
          new PluginError('PLG_DEPENDENCY_MISSING', `Plugin '${p.id}' depends on '${dep}' (${wanted}), which is not installed.`, {
            pluginId: p.id,
            hint: `Install '${dep}' ${wanted} first.`,
            details: { dependency: dep },
          }),
        );
        break;
      }
      if (!satisfies(target.version, wanted, { includePrerelease: true })) {
        refused.set(
          p.id,
          new PluginError('PLG_DEPENDENCY_VERSION', `Plugin '${p.id}' needs '${dep}' ${wanted} but ${target.version} is installed.`, {
            pluginId: p.id,
            hint: `Install a version of '${dep}' that matches ${wanted}.`,
            details: { dependency: dep },
          }),
        );
        break;
      }
    }
  }

  for (const cycle of findCycles(enabled)) {
    for (const id of cycle) {
      refused.set(
        id,
        new PluginError('PLG_DEPENDENCY_CYCLE', `Plugin '${id}' is part of a dependency cycle: ${[...cycle, cycle[0]].join(' -> ')}.`, {
          pluginId: id,
          hint: 'Remove one of the dependsOn entries so the plugins no longer depend on each other in a circle.',
        }),
      );
    }
  }

  // A plugin that cannot start anyway must not win a conflict, so refusals spread before and after.
  spreadRefusals(enabled, byId, refused);
  const running: string[] = [];
  for (const p of enabled) {
    if (refused.has(p.id)) continue;
    const clash = running.find((other) => conflicts(p, byId.get(other)!));
    if (clash) {
      refused.set(
        p.id,
        new PluginError('PLG_CONFLICT', `Plugin '${p.id}' conflicts with '${clash}', which is enabled.`, {
          pluginId: p.id,
          hint: `Disable '${clash}' before enabling '${p.id}'.`,
          details: { conflictsWith: clash },
        }),
      );
      continue;
    }
    running.push(p.id);
  }

  spreadRefusals(enabled, byId, refused);
  return { order: topologicalOrder(enabled.filter((p) => !refused.has(p.id))), refused };
}

/** Refuses, until nothing changes, every plugin with a dependency that is refused or disabled. */
function spreadRefusals(enabled: ResolverInput[], byId: Map<string, ResolverInput>, refused: Map<string, PluginError>): void {
  for (let changed = true; changed;) {
    changed = false;
    for (const p of enabled) {
      if (refused.has(p.id)) continue;
      const dep = Object.keys(p.descriptor.dependsOn ?? {}).find((d) => refused.has(d) || !byId.get(d)?.enabled);
      if (dep) {
        const why = refused.has(dep) ? 'cannot start' : 'is disabled';
        refused.set(
          p.id,
          new PluginError('PLG_DEPENDENCY_MISSING', `Plugin '${p.id}' depends on '${dep}', which ${why}.`, {
            pluginId: p.id,
            hint: `Enable '${dep}' (and fix its error, if any) first.`,
            details: { dependency: dep },
          }),
        );
        changed = true;
      }
    }
  }
}

export function conflicts(a: ResolverInput, b: ResolverInput): boolean {
  return (a.descriptor.conflictsWith ?? []).includes(b.id) || (b.descriptor.conflictsWith ?? []).includes(a.id);
}

/** Dependencies of `id` (transitively), nearest first is not guaranteed; used to enable them together. */
export function dependencyClosure(id: string, plugins: Map<string, ResolverInput>): string[] {
  const out: string[] = [];
  const visit = (current: string): void => {
    for (const dep of Object.keys(plugins.get(current)?.descriptor.dependsOn ?? {})) {
      if (out.includes(dep) || dep === id) continue;
      out.push(dep);
      visit(dep);
    }
  };
  visit(id);
  return out;
}

/** Plugins that depend on `id`, transitively. */
export function dependentClosure(id: string, plugins: ResolverInput[]): string[] {
  const out: string[] = [];
  const visit = (current: string): void => {
    for (const p of plugins) {
      if (out.includes(p.id) || p.id === id) continue;
      if (Object.keys(p.descriptor.dependsOn ?? {}).includes(current)) {
        out.push(p.id);
        visit(p.id);
      }
    }
  };
  visit(id);
  return out;
}

function findCycles(plugins: ResolverInput[]): string[][] {
  const ids = new Set(plugins.map((p) => p.id));
  const edges = new Map(plugins.map((p) => [p.id, Object.keys(p.descriptor.dependsOn ?? {}).filter((d) => ids.has(d))]));
  // Tarjan's strongly connected components; a component of two or more (or a self-loop) is a cycle.
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (v: string): void => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!indices.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (edges.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const id of ids) if (!indices.has(id)) connect(id);
  return cycles;
}

function topologicalOrder(plugins: ResolverInput[]): string[] {
  const ids = new Set(plugins.map((p) => p.id));
  const done: string[] = [];
  const visit = (p: ResolverInput): void => {
    if (done.includes(p.id)) return;
    for (const dep of Object.keys(p.descriptor.dependsOn ?? {}).sort()) {
      const target = plugins.find((q) => q.id === dep);
      if (target && ids.has(dep)) visit(target);
    }
    done.push(p.id);
  };
  for (const p of plugins) visit(p);
  return done;
}
