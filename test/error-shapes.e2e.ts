import { describeDb } from './support/test-database';
import { ADMIN_TOKEN, TestSandbox } from './support/test-host';

describeDb('error answers', () => {
  let sandbox: TestSandbox;
  beforeAll(async () => {
    sandbox = await TestSandbox.create(['actor']);
    await sandbox.start();
    await sandbox.enable('actor');
  });
  afterAll(() => sandbox?.dispose());

  const send = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    const res = await fetch(sandbox.host!.url + path, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers }, body });
    return { status: res.status, body: (await res.json()) as any };
  };

  it("gives Express's own errors the catalogue's shape: bad JSON, a body too large, an unknown route, OPTIONS", async () => {
    const json = { 'content-type': 'application/json' };
    expect(await send('POST', '/api/admin/plugins/actor/enabled', '{bad', json)).toMatchObject({ status: 400, body: { statusCode: 400, code: 'PLG_BAD_REQUEST' } });
    expect(await send('PUT', '/api/admin/plugins/actor/settings', JSON.stringify({ settings: { a: 'x'.repeat(200_000) } }), json)).toMatchObject({
      status: 413,
      body: { statusCode: 413, code: 'PLG_REQUEST_TOO_LARGE' },
    });
    expect(await send('GET', '/api/nope')).toMatchObject({ status: 404, body: { statusCode: 404, code: 'PLG_NOT_FOUND' } });
    expect(await send('OPTIONS', '/api/admin/plugins')).toMatchObject({ status: 404, body: { statusCode: 404, code: 'PLG_NOT_FOUND' } });
  });

  it('bounds ids and action ids before the database: 401 or 404 for a long id, 400 for a long action, each audited', async () => {
    const longId = 'a'.repeat(70);
    expect(await sandbox.request('GET', `/api/admin/plugins/${longId}`, undefined, null)).toMatchObject({ status: 401, body: { code: 'PLG_UNAUTHORIZED' } });
    expect(await sandbox.request('GET', `/api/admin/plugins/${longId}`)).toMatchObject({ status: 404, body: { code: 'PLG_NOT_FOUND' } });
    expect(await sandbox.request('POST', `/api/admin/plugins/${longId}/run`, { action: 'double' })).toMatchObject({ status: 404, body: { code: 'PLG_NOT_FOUND' } });
    expect(await sandbox.request('POST', '/api/admin/plugins/actor/run', { action: 'd'.repeat(70) })).toMatchObject({ status: 400, body: { code: 'PLG_BAD_REQUEST', pluginId: 'actor' } });
    const audit = (await sandbox.request('GET', '/api/admin/audit')).body as any[];
    expect(audit.find((a) => a.outcome === 'refused' && a.action.startsWith('auth GET /api/admin/plugins/aaa'))).toBeDefined();
  });
});
