import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildZip, minimalPlugin, unixAttr } from '../src/archive/test-zip';
import { snapshotFolder } from '../src/archive/test-folders';
import { describeDb } from './support/test-database';
import { ADMIN_TOKEN, TestSandbox } from './support/test-host';
import { uploadZip, zipFixture } from './support/zips';

describeDb('admin surface', () => {
  let sandbox: TestSandbox;
  afterEach(() => sandbox?.dispose());

  const upload = (zip: Buffer, name: string, overwrite = false) => uploadZip(sandbox.host!.url, ADMIN_TOKEN, zip, name, overwrite);

  it('installs an uploaded zip disabled, serves it once enabled, and restores the old version when an overwrite cannot start', async () => {
    sandbox = await TestSandbox.create();
    await sandbox.start();
    const installed = await upload(zipFixture('echo'), 'echo.zip');
    expect(installed.status).toBe(201);
    expect(installed.body).toMatchObject({ id: 'echo', state: 'installed', enabled: false, replaced: false });
    expect(installed.body.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await sandbox.enable('echo')).status).toBe(200);
    expect((await sandbox.request('GET', '/api/plugins/echo/ping')).body).toEqual({ pong: true });

    expect(await upload(zipFixture('echo'), 'echo.zip')).toMatchObject({ status: 409, body: { code: 'PLG_ALREADY_INSTALLED', pluginId: 'echo' } });

    const before = snapshotFolder(sandbox.pluginsDir);
    const broken = zipFixture('echo', 'echo', (zip) =>
      zip.updateFile(
        'echo/app.module.ts',
        Buffer.from(
          zip
            .readAsText('echo/app.module.ts')
            .replace("@Get('ping')", "@Get('ping')\n  // v2\n")
            .replace('export class EchoModule {}', "export class EchoModule {\n  constructor() {\n    throw new Error('echo v2 is broken');\n  }\n}"),
        ),
      ),
    );
    const failed = await upload(broken, 'echo.zip', true);
    expect(failed.status).toBe(500);
    expect(failed.body).toMatchObject({ code: 'PLG_START_FAILED', pluginId: 'echo' });
    expect(failed.body.message).toContain('echo v2 is broken');
    expect(snapshotFolder(sandbox.pluginsDir)).toBe(before);
    expect((await sandbox.request('GET', '/api/plugins/echo/ping')).body).toEqual({ pong: true });
    expect((await sandbox.request('GET', '/api/admin/plugins/echo')).body).toMatchObject({ state: 'active', enabled: true });

    const upgraded = await upload(
      zipFixture('echo', '', (zip) => zip.updateFile('plugin.json', Buffer.from('{ "id": "echo", "name": "Echo", "version": "1.1.0" }'))),
      'echo-1.1.0.zip',
      true,
    );
    expect(upgraded.body).toMatchObject({ id: 'echo', version: '1.1.0', state: 'active', enabled: true, everEnabled: true, replaced: true });

    const audit = (await sandbox.request('GET', '/api/admin/audit')).body as any[];
    expect(audit.find((a) => a.action === 'install' && a.outcome === 'ok').detail.sha256).toBe(installed.body.sha256);
    expect(audit.find((a) => a.action === 'install' && a.outcome === 'failed')).toMatchObject({ pluginId: 'echo', detail: { code: 'PLG_START_FAILED', restored: true } });
    expect(audit.find((a) => a.action === 'upgrade')).toMatchObject({ pluginId: 'echo', outcome: 'ok' });
  });

  it('refuses hostile archives with their own codes and leaves the plugins folder byte-identical', async () => {
    sandbox = await TestSandbox.create(['echo']);
    await sandbox.start();
    const before = snapshotFolder(sandbox.pluginsDir);
    const cases: [string, Buffer, string][] = [
      ['traversal', buildZip([...minimalPlugin('', { id: 'evil' }), { name: '../escape.txt', data: 'x' }]), 'PLG_ARCHIVE_UNSAFE_PATH'],
      ['absolute', buildZip([...minimalPlugin('', { id: 'evil' }), { name: '/etc/evil', data: 'x' }]), 'PLG_ARCHIVE_UNSAFE_PATH'],
      ['symlink', buildZip([...minimalPlugin('', { id: 'evil' }), { name: 'link', data: '/etc/passwd', attr: unixAttr(0o120777) }]), 'PLG_ARCHIVE_LINK'],
      ['duplicate', buildZip([...minimalPlugin('', { id: 'evil' }), { name: 'A.txt', data: '1' }, { name: 'a.txt', data: '2' }]), 'PLG_ARCHIVE_DUPLICATE_ENTRY'],
      ['bomb', buildZip([...minimalPlugin('', { id: 'evil' }), { name: 'zeros.bin', data: Buffer.alloc(20 * 1024 * 1024) }]), 'PLG_ARCHIVE_COMPRESSION_RATIO'],
      [
        'no entry point',
        buildZip([
          { name: 'plugin.json', data: '{"id":"evil"}' },
          { name: 'readme.md', data: 'hi' },
        ]),
        'PLG_NO_ENTRY',
      ],
      ['reserved id', buildZip(minimalPlugin('', { id: 'admin' })), 'PLG_RESERVED_ID'],
      ['not a zip', Buffer.from('this is not a zip file at all'), 'PLG_ARCHIVE_CORRUPT'],
    ];
    for (const [label, zip, code] of cases) {
      const reply = await upload(zip, `${label.replace(/ /g, '-')}.zip`);
      expect({ label, status: reply.status, code: reply.body.code }).toEqual({ label, status: expect.any(Number), code });
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(snapshotFolder(sandbox.pluginsDir)).toBe(before);
    }
    expect(existsSync(join(sandbox.pluginsDir, '.staging')) ? readdirSync(join(sandbox.pluginsDir, '.staging')) : []).toEqual([]);
    expect((await sandbox.request('POST', '/api/admin/plugins/import', {})).body).toMatchObject({ statusCode: 400, code: 'PLG_BAD_REQUEST' });
  });

  it('lets one of two concurrent imports of one id win, and never rate-limits an admin automating installs', async () => {
    sandbox = await TestSandbox.create();
    await sandbox.start({ authFailuresPerMinute: 3 });
    const [a, b] = await Promise.all([upload(zipFixture('echo'), 'echo.zip'), upload(zipFixture('echo'), 'echo.zip')]);
    expect([a.status, b.status].sort((x, y) => x - y)).toEqual([201, 409]);
    for (let i = 0; i < 6; i++) expect((await upload(zipFixture('legacy'), 'legacy.zip', true)).status).toBe(201);
  });

  it('throttles refused authentications per address and aggregates them in the audit, so a flood leaves the history in view', async () => {
    sandbox = await TestSandbox.create(['echo']);
    await sandbox.start({ authFailuresPerMinute: 5 });
    await sandbox.enable('echo');
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await sandbox.request('GET', '/api/admin/plugins', undefined, i % 2 ? 'wrong' : null)).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(new Set(statuses.slice(5))).toEqual(new Set([429]));
    const limited = await sandbox.request('POST', '/api/admin/plugins/import', {}, null);
    expect(limited.body).toMatchObject({ statusCode: 429, code: 'PLG_RATE_LIMITED' });
    expect((await sandbox.request('GET', '/api/admin/plugins')).status).toBe(200);

    await sandbox.host!.refusedAuthentications.flush();
    const audit = (await sandbox.request('GET', '/api/admin/audit')).body as any[];
    const refused = audit.filter((a) => a.outcome === 'refused');
    expect(refused.map((a) => a.detail.count).reduce((x: number, y: number) => x + y, 0)).toBe(41);
    expect(refused.length).toBeLessThanOrEqual(2);
    expect(audit.find((a) => a.action === 'enable')).toMatchObject({ pluginId: 'echo', outcome: 'ok' });
  });

  it('installs a zip dropped into the plugins folder on reload', async () => {
    sandbox = await TestSandbox.create();
    await sandbox.start();
    writeFileSync(join(sandbox.pluginsDir, 'dropped.zip'), zipFixture('echo', ''));
    writeFileSync(join(sandbox.pluginsDir, 'hostile.zip'), buildZip([...minimalPlugin('', { id: 'evil' }), { name: '../x', data: 'x' }]));
    const reload = await sandbox.request('POST', '/api/admin/plugins/reload');
    expect(reload.body.added).toEqual(['echo']);
    expect(readdirSync(sandbox.pluginsDir).sort()).toEqual(['.appnest-archives.json', '.staging', 'echo', 'hostile.zip.rejected']);
    expect((await sandbox.request('GET', '/api/admin/audit')).body.find((a: any) => a.action === 'install')).toMatchObject({ pluginId: 'echo', actor: 'plugins folder', outcome: 'ok' });
  });

  it('merges defaults without storing them, refuses invalid settings per field, masks secrets, and shows a change live', async () => {
    sandbox = await TestSandbox.create(['actor']);
    await sandbox.start();
    await sandbox.enable('actor');
    expect((await sandbox.request('GET', '/api/admin/plugins/actor')).body.settings).toEqual({ limit: 5, mode: 'safe' });
    const stored = async () => (await sandbox.host!.db.dataSource.query(`SELECT settings FROM appnest_plugins WHERE id = 'actor'`))[0].settings;
    expect(await stored()).toEqual({});

    const invalid = await sandbox.request('PUT', '/api/admin/plugins/actor/settings', { settings: { limit: 500, mode: 'turbo', colour: 'red' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ code: 'PLG_SETTINGS_INVALID', pluginId: 'actor' });
    expect(invalid.body.errors.map((e: any) => e.field).sort()).toEqual(['colour', 'limit', 'mode']);
    expect(invalid.body.errors.find((e: any) => e.field === 'limit').message).toContain("'limit'");
    expect(await stored()).toEqual({});

    const saved = await sandbox.request('PUT', '/api/admin/plugins/actor/settings', { settings: { limit: 42, apiKey: 'sk-very-secret' } });
    expect(saved.status).toBe(200);
    expect(saved.body.settings).toEqual({ limit: 42, mode: 'safe', apiKey: '********' });
    expect(await stored()).toEqual({ limit: 42, apiKey: 'sk-very-secret' });
    const live = (await sandbox.request('GET', '/api/plugins/actor/settings')).body;
    expect(live).toEqual({ limit: 42, mode: 'safe', hasKey: true, changes: ['actor'] });

    const resaved = await sandbox.request('PUT', '/api/admin/plugins/actor/settings', { settings: { limit: 7, apiKey: '********' } });
    expect(resaved.status).toBe(200);
    expect(await stored()).toEqual({ limit: 7, apiKey: 'sk-very-secret' });
    for (const path of ['/api/admin/plugins', '/api/admin/plugins/actor', '/api/admin/audit']) {
      expect(JSON.stringify((await sandbox.request('GET', path)).body)).not.toContain('sk-very-secret');
    }
    expect(sandbox.logs.join('\n')).not.toContain('sk-very-secret');
  });

  it('runs actions: 200 with the result, 404 unknown, 500 when it throws, 403 when disabled', async () => {
    sandbox = await TestSandbox.create(['actor', 'echo']);
    await sandbox.start();
    await sandbox.enable('actor');
    expect(await sandbox.request('POST', '/api/admin/plugins/actor/run', { action: 'double', params: { value: 21 } })).toMatchObject({ status: 200, body: { result: { doubled: 42, limit: 5 } } });
    expect((await sandbox.request('POST', '/api/admin/plugins/actor/run', { action: 'nope' })).body).toMatchObject({ statusCode: 404, code: 'PLG_ACTION_NOT_FOUND', pluginId: 'actor' });
    const boom = await sandbox.request('POST', '/api/admin/plugins/actor/run', { action: 'boom' });
    expect(boom.body).toMatchObject({ statusCode: 500, code: 'PLG_ACTION_FAILED', pluginId: 'actor' });
    expect(boom.body.message).toContain('actor exploded on purpose');
    expect((await sandbox.request('GET', '/api/health')).status).toBe(200);
    await sandbox.disable('actor');
    expect((await sandbox.request('POST', '/api/admin/plugins/actor/run', { action: 'double', params: { value: 1 } })).body).toMatchObject({ statusCode: 403, code: 'PLG_DISABLED' });
    expect((await sandbox.request('POST', '/api/admin/plugins/nope/run', { action: 'double' })).body).toMatchObject({ statusCode: 404, code: 'PLG_NOT_FOUND' });
  });

  it('uninstalls one plugin only, and audits every change and refused authentication', async () => {
    sandbox = await TestSandbox.create(['echo', 'legacy']);
    await sandbox.start();
    await sandbox.enable('echo');
    const legacyBefore = snapshotFolder(join(sandbox.pluginsDir, 'legacy'));
    expect((await sandbox.request('DELETE', '/api/admin/plugins/echo')).status).toBe(200);
    expect(existsSync(join(sandbox.pluginsDir, 'echo'))).toBe(false);
    expect(snapshotFolder(join(sandbox.pluginsDir, 'legacy'))).toBe(legacyBefore);
    expect((await sandbox.request('GET', '/api/admin/plugins/echo')).body).toMatchObject({ statusCode: 404, code: 'PLG_NOT_FOUND', pluginId: 'echo' });
    expect((await sandbox.request('GET', '/api/admin/plugins')).body.map((p: { id: string }) => p.id)).toEqual(['legacy']);
    expect((await sandbox.request('GET', '/api/plugins/echo/ping')).status).toBe(404);
    await sandbox.request('GET', '/api/admin/plugins', undefined, 'wrong-token');
    const audit = (await sandbox.request('GET', '/api/admin/audit')).body as any[];
    expect(audit.map((a) => [a.action, a.pluginId, a.outcome])).toEqual(
      expect.arrayContaining([
        ['enable', 'echo', 'ok'],
        ['uninstall', 'echo', 'ok'],
        ['auth GET /api/admin/plugins', null, 'refused'],
      ]),
    );
    expect(audit[0]).toHaveProperty('ip');
    expect(audit[0]).toHaveProperty('at');
  });

  it('keeps the settings of a plugin uninstalled without purge, unlisted across a restart, and brings them back with a reinstall', async () => {
    sandbox = await TestSandbox.create(['actor']);
    await sandbox.start();
    expect((await sandbox.enable('actor')).status).toBe(200);
    expect((await sandbox.request('PUT', '/api/admin/plugins/actor/settings', { settings: { limit: 7, mode: 'fast' } })).status).toBe(200);
    expect((await sandbox.request('DELETE', '/api/admin/plugins/actor')).body).toMatchObject({ id: 'actor', purged: false });
    expect((await sandbox.request('GET', '/api/admin/plugins/actor')).status).toBe(404);
    await sandbox.start();
    expect((await sandbox.request('POST', '/api/admin/plugins/reload')).status).toBe(200);
    expect((await sandbox.request('GET', '/api/admin/plugins')).body).toEqual([]);
    expect((await sandbox.request('GET', '/api/health')).body.plugins).toEqual([]);

    const reinstalled = await upload(zipFixture('actor'), 'actor.zip');
    expect(reinstalled.status).toBe(201);
    expect(reinstalled.body).toMatchObject({ id: 'actor', state: 'disabled', enabled: false, everEnabled: true, settings: { limit: 7, mode: 'fast' } });
  });

  it('refuses an upload whose plugin.json has a setting default of the wrong type', async () => {
    sandbox = await TestSandbox.create();
    await sandbox.start();
    const refused = await upload(zipFixture('doctor-bad-default'), 'doctor-bad-default.zip');
    expect(refused).toMatchObject({ status: 400, body: { code: 'PLG_INVALID_DESCRIPTOR' } });
    expect(refused.body.message).toContain('setting "pageSize" has "default": "20"');
    expect(readdirSync(sandbox.pluginsDir).filter((name) => !name.startsWith('.'))).toEqual([]);
  });

  it('forgets the settings of a plugin uninstalled with purge', async () => {
    sandbox = await TestSandbox.create(['actor']);
    await sandbox.start();
    expect((await sandbox.request('PUT', '/api/admin/plugins/actor/settings', { settings: { limit: 7 } })).status).toBe(200);
    expect((await sandbox.request('DELETE', '/api/admin/plugins/actor?purge=true')).body).toMatchObject({ id: 'actor', purged: true });
    expect((await sandbox.request('GET', '/api/admin/plugins/actor')).status).toBe(404);
    const reinstalled = await upload(zipFixture('actor'), 'actor.zip');
    expect(reinstalled.body).toMatchObject({ id: 'actor', state: 'installed', everEnabled: false, settings: { limit: 5, mode: 'safe' } });
  });
});
