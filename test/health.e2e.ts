import { describeDb } from './support/test-database';
import { TestSandbox } from './support/test-host';

describeDb('health', () => {
  let sandbox: TestSandbox;
  const health = async () => {
    const reply = await sandbox.request('GET', '/api/health', undefined, null);
    expect(reply.status).toBe(200);
    return reply.body as { status: string; plugins: { id: string; status: string; reason?: string }[] };
  };
  const statusOf = async (id: string) => (await health()).plugins.find((p) => p.id === id);
  const probe = async (mode: string) => expect((await sandbox.request('POST', `/api/plugins/health-probe/mode/${mode}`)).status).toBe(201);

  beforeAll(async () => {
    sandbox = await TestSandbox.create(['health-probe', 'health-dependent', 'echo', 'hangs']);
    await sandbox.start();
    for (const id of ['health-probe', 'health-dependent', 'echo']) expect((await sandbox.enable(id)).status).toBe(200);
  });
  afterAll(async () => {
    await sandbox?.dispose();
  });

  it('reports the host ok and every running plugin ok when their checks pass, and a disabled one as disabled', async () => {
    const report = await health();
    expect(report.status).toBe('ok');
    expect(report.plugins).toEqual([
      { id: 'echo', state: 'active', status: 'ok' },
      { id: 'hangs', state: 'installed', status: 'disabled' },
      { id: 'health-dependent', state: 'active', status: 'ok' },
      { id: 'health-probe', state: 'active', status: 'ok' },
    ]);
  });

  it('reports what a plugin’s own check answers, with its reason', async () => {
    await probe('degraded');
    expect(await statusOf('health-probe')).toMatchObject({ status: 'degraded', reason: 'the probe says degraded' });
    await probe('false');
    expect(await statusOf('health-probe')).toMatchObject({ status: 'failed', reason: expect.stringContaining("plugin 'health-probe' answered false") });
  });

  it('fails a plugin whose check throws or does not answer within its timeout, and degrades its dependents', async () => {
    await probe('throw');
    expect(await statusOf('health-probe')).toMatchObject({ status: 'failed', reason: 'the probe cannot reach its upstream' });
    expect(await statusOf('health-dependent')).toMatchObject({ status: 'degraded', reason: "Its dependency 'health-probe' is failed: the probe cannot reach its upstream" });
    await probe('hang');
    const began = Date.now();
    expect(await statusOf('health-probe')).toMatchObject({ status: 'failed', reason: expect.stringContaining('did not answer within 300 ms') });
    expect(Date.now() - began).toBeLessThan(2000);
    expect(await statusOf('echo')).toMatchObject({ status: 'ok' });
    await probe('ok');
    expect(await statusOf('health-dependent')).toMatchObject({ status: 'ok' });
  });

  it('fails an enabled plugin that could not start, with its error', async () => {
    expect((await sandbox.enable('hangs')).status).toBeGreaterThanOrEqual(400);
    expect(await statusOf('hangs')).toMatchObject({ state: 'failed', error: 'PLG_START_TIMEOUT', status: 'failed', reason: expect.stringContaining("'hangs'") });
    expect((await health()).status).toBe('ok');
  });

  it('answers liveness and readiness without a token, and readiness 503 once the host stops', async () => {
    expect(await sandbox.request('GET', '/api/health/live', undefined, null)).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await sandbox.request('GET', '/api/health/ready', undefined, null)).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await sandbox.host!.healthChecks.readiness()).toEqual({ ready: true });
    await sandbox.host!.stop();
    expect(await sandbox.host!.healthChecks.readiness()).toEqual({ ready: false, reason: 'The host is stopping.' });
  });
});
