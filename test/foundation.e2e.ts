import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describeDb } from './support/test-database';
import { TestSandbox } from './support/test-host';

const FAULTY: Record<string, { state: string; code: string }> = {
  'bad-descriptor': { state: 'invalid', code: 'PLG_INVALID_DESCRIPTOR' },
  'no-marker': { state: 'invalid', code: 'PLG_NO_ENTRY' },
  'compile-error': { state: 'failed', code: 'PLG_COMPILE_FAILED' },
  'import-throws': { state: 'failed', code: 'PLG_IMPORT_FAILED' },
  'ctor-throws': { state: 'failed', code: 'PLG_START_FAILED' },
  'init-throws': { state: 'failed', code: 'PLG_START_FAILED' },
  'missing-token': { state: 'failed', code: 'PLG_START_FAILED' },
  hangs: { state: 'failed', code: 'PLG_START_TIMEOUT' },
};

describeDb('foundation: discovery, loading and isolation', () => {
  let sandbox: TestSandbox;
  afterEach(() => sandbox?.dispose());

  it('lists discovered plugins disabled, and serves one after it is enabled and the host restarts', async () => {
    sandbox = await TestSandbox.create(['echo', 'legacy']);
    await sandbox.start();
    const list = await sandbox.request('GET', '/api/admin/plugins');
    expect(list.status).toBe(200);
    expect(list.body.map((p: any) => [p.id, p.state, p.enabled])).toEqual([
      ['echo', 'installed', false],
      ['legacy', 'installed', false],
    ]);
    expect(list.body.find((p: any) => p.id === 'legacy')).toMatchObject({ legacy: true, version: '0.0.0' });
    expect((await sandbox.request('GET', '/api/plugins/echo/ping')).status).toBe(404);

    const enabled = await sandbox.enable('echo');
    expect(enabled.status).toBe(200);
    await sandbox.start();
    const ping = await sandbox.request('GET', '/api/plugins/echo/ping', undefined, null);
    expect(ping).toMatchObject({ status: 200, body: { pong: true } });
    const one = await sandbox.request('GET', '/api/admin/plugins/echo');
    expect(one.body).toMatchObject({ state: 'active', enabled: true, everEnabled: true });
    expect(one.body.routes).toEqual([
      { method: 'GET', path: '/api/plugins/echo/ping' },
      { method: 'GET', path: '/api/plugins/echo/say/:word' },
    ]);
  });

  it('loads backend/ + frontend/ layouts side by side, precompiled JavaScript and legacy plugins', async () => {
    sandbox = await TestSandbox.create(['layout-a', 'layout-b', 'precompiled', 'legacy']);
    await sandbox.start();
    for (const id of ['layout-a', 'layout-b', 'precompiled', 'legacy']) expect((await sandbox.enable(id)).status).toBe(200);
    expect((await sandbox.request('GET', '/api/plugins/layout-a/info')).body).toEqual({ plugin: 'layout-a' });
    expect((await sandbox.request('GET', '/api/plugins/layout-b/info')).body).toEqual({ plugin: 'layout-b' });
    expect((await sandbox.request('GET', '/api/plugins/precompiled/hello')).body).toEqual({ compiled: 'ahead of time' });
    expect((await sandbox.request('GET', '/api/plugins/legacy/hi')).body).toBe('legacy');
    const a = await sandbox.request('GET', '/api/admin/plugins/layout-a');
    expect(a.body).toMatchObject({ backend: true, frontend: true });
    const spa = await sandbox.request('GET', '/api/plugins', undefined, null);
    expect(spa.body.map((p: any) => p.id)).toEqual(['layout-a', 'layout-b']);
    expect(spa.body[0]).toMatchObject({ entry: '/api/plugins/assets/layout-a/assets/index-abc123.js', cssEntries: ['/api/plugins/assets/layout-a/assets/index-abc123.css'] });
  });

  it('resolves plugin imports of shared packages and the SDK to the host copies', async () => {
    sandbox = await TestSandbox.create(['uses-host']);
    await sandbox.start();
    expect((await sandbox.enable('uses-host')).status).toBe(200);
    const reply = await sandbox.request('GET', '/api/plugins/uses-host/host');
    expect(reply.body).toEqual({ sameHostInfo: true, apiVersion: '1.0.0', word: 'bonjour' });
  });

  it('never imports the code of a disabled plugin', async () => {
    sandbox = await TestSandbox.create(['side-effect']);
    await sandbox.start();
    await sandbox.start();
    expect(existsSync(join(sandbox.pluginsDir, 'side-effect', 'imported.txt'))).toBe(false);
    expect((await sandbox.enable('side-effect')).status).toBe(200);
    expect(existsSync(join(sandbox.pluginsDir, 'side-effect', 'imported.txt'))).toBe(true);
  });

  it('boots with every kind of faulty plugin present, reports each one by code, and serves the healthy ones', async () => {
    sandbox = await TestSandbox.create(['echo', 'layout-a', ...Object.keys(FAULTY)]);
    await sandbox.start({ startTimeoutMs: 1500 });
    expect((await sandbox.enable('echo')).status).toBe(200);
    expect((await sandbox.enable('layout-a')).status).toBe(200);
    for (const [id, { code }] of Object.entries(FAULTY)) {
      const reply = await sandbox.enable(id);
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(reply.body).toMatchObject({ code, pluginId: id });
      expect(reply.body.message).toContain(`'${id}'`);
      expect((await sandbox.request('GET', '/api/plugins/echo/ping')).status).toBe(200);
    }
    // A restart with every faulty plugin still enabled (where enabling was possible) boots all the same.
    await sandbox.start({ startTimeoutMs: 1500 });
    const plugins = (await sandbox.request('GET', '/api/admin/plugins')).body as any[];
    for (const [id, { state, code }] of Object.entries(FAULTY)) {
      const plugin = plugins.find((p) => p.id === id);
      expect({ id, state: plugin.state, code: plugin.error?.code }).toEqual({ id, state, code });
      expect(plugin.error.message).toContain(`'${id}'`);
    }
    expect((await sandbox.request('GET', '/api/plugins/echo/ping')).body).toEqual({ pong: true });
    expect((await sandbox.request('GET', '/api/plugins/layout-a/info')).body).toEqual({ plugin: 'layout-a' });
    const health = await sandbox.request('GET', '/api/health', undefined, null);
    expect(health.status).toBe(200);
    expect(health.body.plugins).toContainEqual({ id: 'hangs', state: 'failed', error: 'PLG_START_TIMEOUT', status: 'failed', reason: expect.stringContaining("'hangs'") });
  });

  it('answers 401 without the admin token and 404 for an unknown plugin', async () => {
    sandbox = await TestSandbox.create(['echo']);
    await sandbox.start();
    expect((await sandbox.request('GET', '/api/admin/plugins', undefined, null)).body).toMatchObject({ statusCode: 401, code: 'PLG_UNAUTHORIZED' });
    expect((await sandbox.request('GET', '/api/admin/plugins', undefined, 'wrong')).status).toBe(401);
    expect((await sandbox.request('GET', '/api/admin/plugins/nope')).body).toMatchObject({ statusCode: 404, code: 'PLG_NOT_FOUND', pluginId: 'nope' });
    expect((await sandbox.request('POST', '/api/admin/plugins/echo/enabled', { enabled: 'yes' })).body).toMatchObject({ statusCode: 400, code: 'PLG_BAD_REQUEST' });
    expect((await sandbox.request('POST', '/api/admin/plugins/echo/enabled', { enabled: true })).body).toMatchObject({ statusCode: 403, code: 'PLG_TRUST_REQUIRED' });
    expect((await sandbox.request('GET', '/api/admin/plugins/echo')).body).toMatchObject({ enabled: false, everEnabled: false });
  });
});
