import { describeDb } from './support/test-database';
import { TestSandbox } from './support/test-host';

describeDb('a plugin whose onModuleInit never finishes', () => {
  let sandbox: TestSandbox;
  afterEach(() => sandbox.dispose());

  it('fails alone at boot: the plugins started beside it are constructed and initialised once', async () => {
    sandbox = await TestSandbox.create(['hangs', 'start-counter', 'echo']);
    await sandbox.start();
    for (const id of ['start-counter', 'echo']) expect((await sandbox.enable(id)).body).toMatchObject({ state: 'active' });
    expect((await sandbox.enable('hangs')).body).toMatchObject({ code: 'PLG_START_TIMEOUT' });

    await sandbox.start({ startTimeoutMs: 1500 });
    const states = Object.fromEntries(((await sandbox.request('GET', '/api/admin/plugins')).body as any[]).map((p) => [p.id, p.state]));
    expect(states).toEqual({ echo: 'active', hangs: 'failed', 'start-counter': 'active' });
    expect((await sandbox.request('GET', '/api/plugins/start-counter/starts')).body).toEqual({ constructed: 1, initialised: 1 });
    expect((await sandbox.request('GET', '/api/plugins/echo/ping')).body).toEqual({ pong: true });
  });

  it('costs its timeout once, not again on every later change, until it is enabled again', async () => {
    sandbox = await TestSandbox.create(['hangs', 'echo']);
    await sandbox.start({ startTimeoutMs: 1500 });
    expect((await sandbox.enable('hangs')).body).toMatchObject({ code: 'PLG_START_TIMEOUT' });

    for (const change of [() => sandbox.enable('echo'), () => sandbox.disable('echo'), () => sandbox.request('POST', '/api/admin/plugins/reload')]) {
      const began = Date.now();
      expect((await change()).status).toBeLessThan(300);
      expect(Date.now() - began).toBeLessThan(1200);
    }
    expect((await sandbox.request('GET', '/api/admin/plugins/hangs')).body).toMatchObject({ state: 'failed', error: { code: 'PLG_START_TIMEOUT' } });

    const began = Date.now();
    expect((await sandbox.enable('hangs')).body).toMatchObject({ code: 'PLG_START_TIMEOUT' });
    expect(Date.now() - began).toBeGreaterThanOrEqual(1500);
  });
});
