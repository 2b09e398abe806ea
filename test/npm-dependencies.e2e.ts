import { describeDb } from './support/test-database';
import { TestSandbox } from './support/test-host';

describeDb('plugins with their own npm dependencies, in place', () => {
  let sandbox: TestSandbox;
  afterEach(() => sandbox.dispose());

  it('logs in with @nestjs/jwt and guards a route with passport-jwt: 401 without or with a bad token, 200 with a good one', async () => {
    sandbox = await TestSandbox.create(['auth-jwt']);
    await sandbox.start();
    const enabled = await sandbox.enable('auth-jwt');
    expect(enabled.body).toMatchObject({ state: 'active' });

    const refused = await sandbox.request('POST', '/api/plugins/auth-jwt/auth/login', { username: 'john', password: 'wrong' });
    expect(refused.status).toBe(401);
    const login = await sandbox.request('POST', '/api/plugins/auth-jwt/auth/login', { username: 'john', password: 'changeme' });
    expect(login.status).toBe(200);
    const token = login.body.access_token as string;
    expect(token.split('.')).toHaveLength(3);

    expect((await sandbox.request('GET', '/api/plugins/auth-jwt/profile', undefined, null)).status).toBe(401);
    expect((await sandbox.request('GET', '/api/plugins/auth-jwt/profile', undefined, `${token}x`)).status).toBe(401);
    const profile = await sandbox.request('GET', '/api/plugins/auth-jwt/profile', undefined, token);
    expect(profile).toMatchObject({ status: 200, body: { userId: 1, username: 'john' } });
  });
});

describeDb('app modules wired as in a Nest app', () => {
  let sandbox: TestSandbox;
  afterEach(() => sandbox.dispose());

  it("absorbs a plugin's own ScheduleModule.forRoot() and EventEmitterModule.forRoot(): each task and handler runs once", async () => {
    sandbox = await TestSandbox.create(['own-scheduler']);
    await sandbox.start();
    expect((await sandbox.enable('own-scheduler')).body).toMatchObject({ state: 'active' });
    await sandbox.request('POST', '/api/plugins/own-scheduler/runs/ping');
    await new Promise((r) => setTimeout(r, 3300));
    const { body } = await sandbox.request('GET', '/api/plugins/own-scheduler/runs');
    expect(body.timeout).toBe(1);
    expect(body.events).toBe(1);
    expect(new Set(body.cron).size).toBe(body.cron.length);
    expect(body.cron.length).toBeGreaterThanOrEqual(2);
    expect(body.interval.length).toBeGreaterThanOrEqual(5);
    expect(body.interval.length).toBeLessThanOrEqual(7);
  });

  it('refuses TypeOrmModule.forRoot() in a plugin with PLG_TYPEORM_ROOT, saying to use forFeature', async () => {
    sandbox = await TestSandbox.create(['typeorm-root']);
    await sandbox.start();
    const reply = await sandbox.enable('typeorm-root');
    expect(reply).toMatchObject({ status: 500, body: { code: 'PLG_TYPEORM_ROOT', pluginId: 'typeorm-root' } });
    expect(reply.body.hint).toMatch(/forFeature/);
    expect((await sandbox.request('GET', '/api/admin/plugins/typeorm-root')).body).toMatchObject({ state: 'failed', error: { code: 'PLG_TYPEORM_ROOT' } });
  });

  it('serves a Swagger document under the plugin prefix and applies the pipes and CORS its configure() sets, to its own routes only', async () => {
    sandbox = await TestSandbox.create(['api-docs', 'echo']);
    await sandbox.start();
    expect((await sandbox.enable('api-docs')).body).toMatchObject({ state: 'active' });
    expect((await sandbox.enable('echo')).body).toMatchObject({ state: 'active' });

    const bad = await sandbox.request('POST', '/api/plugins/api-docs/items', { name: '', stock: -1, extra: true });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toEqual(expect.arrayContaining([expect.stringMatching(/name/), expect.stringMatching(/stock/), expect.stringMatching(/extra/)]));
    expect((await sandbox.request('POST', '/api/plugins/api-docs/items', { name: 'Lamp', stock: 3 })).status).toBe(201);

    const doc = await sandbox.request('GET', '/api/plugins/api-docs/docs-json');
    expect(doc.status).toBe(200);
    expect(doc.body.info.title).toBe('Items');
    expect(Object.keys(doc.body.paths)).toEqual(['/api/plugins/api-docs/items']);
    const ui = await fetch(`${sandbox.host!.url}/api/plugins/api-docs/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger-ui');
    expect((await sandbox.request('GET', '/docs-json')).body.openapi).toBeUndefined();

    const cors = await fetch(`${sandbox.host!.url}/api/plugins/api-docs/items`, { headers: { origin: 'https://shop.example' } });
    expect(cors.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const other = await fetch(`${sandbox.host!.url}/api/plugins/echo/ping`, { headers: { origin: 'https://shop.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
