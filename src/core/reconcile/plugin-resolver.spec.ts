import type { PluginDescriptor } from '../../discovery/plugin-descriptor';
import { dependencyClosure, dependentClosure, resolvePlugins, type ResolverInput } from './plugin-resolver';

const HOST = '1.4.0';

function plugin(id: string, descriptor: PluginDescriptor = {}, options: { version?: string; enabled?: boolean } = {}): ResolverInput {
  return { id, version: options.version ?? '1.0.0', descriptor, enabled: options.enabled ?? true };
}

function refusals(plugins: ResolverInput[]): Record<string, string> {
  const { refused } = resolvePlugins(plugins, HOST);
  return Object.fromEntries([...refused].map(([id, error]) => [id, error.code]));
}

describe('resolvePlugins', () => {
  it('starts every enabled plugin that has no constraint, in id order', () => {
    expect(resolvePlugins([plugin('b'), plugin('a'), plugin('c', {}, { enabled: false })], HOST)).toEqual({ order: ['a', 'b'], refused: new Map() });
  });

  it('refuses a plugin whose host range excludes this host, naming both versions', () => {
    const { order, refused } = resolvePlugins([plugin('billing', { host: '^2.0.0' }), plugin('notes', { host: '^1.0.0' })], HOST);
    expect(order).toEqual(['notes']);
    expect(refused.get('billing')?.code).toBe('PLG_HOST_INCOMPATIBLE');
    expect(refused.get('billing')?.message).toBe("Plugin 'billing' needs host ^2.0.0 but this host is 1.4.0.");
  });

  it('refuses a plugin whose dependency is not installed, naming the dependency', () => {
    const { refused } = resolvePlugins([plugin('notes', { dependsOn: { users: '^2.0.0' } })], HOST);
    expect(refused.get('notes')?.code).toBe('PLG_DEPENDENCY_MISSING');
    expect(refused.get('notes')?.message).toContain("Plugin 'notes' depends on 'users'");
  });

  it('refuses a plugin whose dependency is installed in a version out of range', () => {
    const { refused } = resolvePlugins([plugin('notes', { dependsOn: { users: '^2.0.0' } }), plugin('users', {}, { version: '1.9.0' })], HOST);
    expect(refused.get('notes')?.code).toBe('PLG_DEPENDENCY_VERSION');
    expect(refused.get('notes')?.message).toContain("'users' ^2.0.0 but 1.9.0");
    expect(refused.has('users')).toBe(false);
  });

  it('refuses a plugin whose dependency is disabled', () => {
    const { order, refused } = resolvePlugins([plugin('notes', { dependsOn: { users: '^1.0.0' } }), plugin('users', {}, { enabled: false })], HOST);
    expect(order).toEqual([]);
    expect(refused.get('notes')?.code).toBe('PLG_DEPENDENCY_MISSING');
    expect(refused.get('notes')?.message).toContain("'users', which is disabled");
  });

  it('refuses the dependents of a refused plugin, transitively', () => {
    const plugins = [plugin('a', { host: '^9.0.0' }), plugin('b', { dependsOn: { a: '*' } }), plugin('c', { dependsOn: { b: '*' } }), plugin('d')];
    expect(refusals(plugins)).toEqual({ a: 'PLG_HOST_INCOMPATIBLE', b: 'PLG_DEPENDENCY_MISSING', c: 'PLG_DEPENDENCY_MISSING' });
  });

  it('refuses the second of two conflicting plugins in id order, when the first declares the conflict', () => {
    const { order, refused } = resolvePlugins([plugin('old-notes'), plugin('notes', { conflictsWith: ['old-notes'] })], HOST);
    expect(order).toEqual(['notes']);
    expect(refused.get('old-notes')?.code).toBe('PLG_CONFLICT');
    expect(refused.get('old-notes')?.message).toContain("Plugin 'old-notes' conflicts with 'notes'");
  });

  it('refuses the second of two conflicting plugins in id order, when the second declares the conflict', () => {
    expect(refusals([plugin('notes'), plugin('old-notes', { conflictsWith: ['notes'] })])).toEqual({ 'old-notes': 'PLG_CONFLICT' });
  });

  it('ignores a conflict with a disabled plugin', () => {
    expect(refusals([plugin('notes', { conflictsWith: ['old-notes'] }), plugin('old-notes', {}, { enabled: false })])).toEqual({});
  });

  it('does not let a plugin that cannot start win a conflict', () => {
    const plugins = [plugin('a-notes', { conflictsWith: ['b-notes'], dependsOn: { users: '*' } }), plugin('b-notes'), plugin('users', {}, { enabled: false })];
    expect(refusals(plugins)).toEqual({ 'a-notes': 'PLG_DEPENDENCY_MISSING' });
  });

  it('refuses the dependents of a plugin that lost a conflict', () => {
    const plugins = [plugin('a', { conflictsWith: ['b'] }), plugin('b'), plugin('c', { dependsOn: { b: '*' } })];
    expect(refusals(plugins)).toEqual({ b: 'PLG_CONFLICT', c: 'PLG_DEPENDENCY_MISSING' });
  });

  it('refuses the members of a dependency cycle only, naming the cycle', () => {
    const plugins = [plugin('a', { dependsOn: { b: '*' } }), plugin('b', { dependsOn: { c: '*' } }), plugin('c', { dependsOn: { a: '*', base: '*' } }), plugin('base'), plugin('other')];
    const { order, refused } = resolvePlugins(plugins, HOST);
    expect(order).toEqual(['base', 'other']);
    expect(Object.fromEntries([...refused].map(([id, e]) => [id, e.code]))).toEqual({ a: 'PLG_DEPENDENCY_CYCLE', b: 'PLG_DEPENDENCY_CYCLE', c: 'PLG_DEPENDENCY_CYCLE' });
    expect(refused.get('a')?.message).toContain('a -> b -> c -> a');
  });

  it('refuses a plugin that depends on itself', () => {
    expect(refusals([plugin('loop', { dependsOn: { loop: '*' } })])).toEqual({ loop: 'PLG_DEPENDENCY_CYCLE' });
  });

  it('orders dependencies before their dependents', () => {
    const plugins = [
      plugin('app', { dependsOn: { notes: '*', users: '*' } }),
      plugin('notes', { dependsOn: { users: '*' } }),
      plugin('audit'),
      plugin('users', { dependsOn: { core: '*' } }),
      plugin('core'),
    ];
    expect(resolvePlugins(plugins, HOST).order).toEqual(['core', 'users', 'notes', 'app', 'audit']);
  });
});

describe('dependencyClosure', () => {
  const byId = (...plugins: ResolverInput[]) => new Map(plugins.map((p) => [p.id, p]));

  it('lists every dependency, transitively, once', () => {
    const plugins = byId(plugin('app', { dependsOn: { notes: '*', users: '*' } }), plugin('notes', { dependsOn: { users: '*' } }), plugin('users'));
    expect(dependencyClosure('app', plugins).sort()).toEqual(['notes', 'users']);
  });

  it('lists a dependency that is not installed, so the caller can name it', () => {
    expect(dependencyClosure('notes', byId(plugin('notes', { dependsOn: { users: '*' } })))).toEqual(['users']);
  });

  it('stops at a cycle without listing the plugin itself', () => {
    const plugins = byId(plugin('a', { dependsOn: { b: '*' } }), plugin('b', { dependsOn: { a: '*' } }));
    expect(dependencyClosure('a', plugins)).toEqual(['b']);
  });
});

describe('dependentClosure', () => {
  it('lists every plugin that depends on the plugin, transitively', () => {
    const plugins = [plugin('users'), plugin('notes', { dependsOn: { users: '*' } }), plugin('app', { dependsOn: { notes: '*' } }), plugin('audit')];
    expect(dependentClosure('users', plugins).sort()).toEqual(['app', 'notes']);
  });

  it('stops at a cycle without listing the plugin itself', () => {
    const plugins = [plugin('a', { dependsOn: { b: '*' } }), plugin('b', { dependsOn: { a: '*' } })];
    expect(dependentClosure('a', plugins)).toEqual(['b']);
  });
});
