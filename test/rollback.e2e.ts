import { loadLoop } from './support/load-loop';
import { describeDb } from './support/test-database';
import { ADMIN_TOKEN, TestSandbox } from './support/test-host';
import { sha256, versionedZip, versionOnDisk } from './support/versioned-plugin';
import { uploadZip } from './support/zips';

describeDb('rollback after an upgrade', () => {
  let sandbox: TestSandbox;
  afterEach(async () => sandbox?.dispose());

  it('rolls an upgrade whose health check fails back within its probe window, serving every request, then rolls back by hand', async () => {
    sandbox = await TestSandbox.create();
    const host = await sandbox.start({ upgradeProbeMs: 1500 });
    const v1 = versionedZip('1.0.0', [], { health: 'ok' });
    expect((await uploadZip(host.url, ADMIN_TOKEN, v1, 'vers.zip')).status).toBe(201);
    expect((await sandbox.enable('vers')).status).toBe(200);

    const load = loadLoop(`${host.url}/api/plugins/vers/version`);
    const upgrade = await uploadZip(host.url, ADMIN_TOKEN, versionedZip('1.0.1', [], { health: 'failed' }), 'vers.zip', true);
    const during = await load.stop();

    expect(upgrade.status).toBe(409);
    expect(upgrade.body).toMatchObject({ code: 'PLG_UPGRADE_ROLLED_BACK', pluginId: 'vers', rollback: { automatic: true, from: '1.0.1', to: '1.0.0' } });
    expect(upgrade.body.message).toContain('the upstream of vers 1.0.1 answers 500');
    expect({ failures: during.failures, served: during.served }).toEqual({ failures: [], served: ['1.0.0', '1.0.1'] });
    expect(during.requests).toBeGreaterThan(20);

    const view = (await sandbox.request('GET', '/api/admin/plugins/vers')).body;
    expect(view).toMatchObject({ version: '1.0.0', state: 'active', error: null, previousVersion: null, rollback: { code: 'PLG_UPGRADE_ROLLED_BACK', automatic: true, from: '1.0.1', to: '1.0.0' } });
    expect(view.rollback.reason).toContain('health check answered failed');
    expect(versionOnDisk(sandbox.pluginsDir)).toBe('1.0.0');
    expect(await host.archives.storedSha('vers')).toBe(sha256(v1));
    const audit = (await sandbox.request('GET', '/api/admin/audit')).body as any[];
    expect(audit.find((a) => a.action === 'rollback')).toMatchObject({ actor: 'system', pluginId: 'vers', outcome: 'ok', detail: { automatic: true, from: '1.0.1', to: '1.0.0' } });

    // A healthy upgrade is kept, with 1.0.0 kept for a rollback by hand.
    const v2 = versionedZip('1.0.2', [], { health: 'ok' });
    const kept = await uploadZip(host.url, ADMIN_TOKEN, v2, 'vers.zip', true);
    expect(kept).toMatchObject({ status: 201, body: { version: '1.0.2', previousVersion: '1.0.0', rollback: null } });
    expect(await host.archives.storedSha('vers')).toBe(sha256(v2));

    const byHand = loadLoop(`${host.url}/api/plugins/vers/version`);
    const rolled = await sandbox.request('POST', '/api/admin/plugins/vers/rollback');
    const around = await byHand.stop();
    expect(rolled).toMatchObject({ status: 200, body: { version: '1.0.0', state: 'active', previousVersion: null, rollback: { code: null, automatic: false, from: '1.0.2', to: '1.0.0' } } });
    expect(around.failures).toEqual([]);
    expect((await sandbox.request('GET', '/api/plugins/vers/version')).body).toEqual({ version: '1.0.0' });
    expect(await host.archives.storedSha('vers')).toBe(sha256(v1));

    const none = await sandbox.request('POST', '/api/admin/plugins/vers/rollback');
    expect(none).toMatchObject({ status: 409, body: { code: 'PLG_NO_PREVIOUS_VERSION' } });
    expect(none.body.message).toContain("Plugin 'vers' has no previous version");
  }, 120_000);

  it('rolls back an upgrade whose routes fail more often than the previous version, as the probe window counts them', async () => {
    sandbox = await TestSandbox.create();
    const host = await sandbox.start({ upgradeProbeMs: 1500 });
    expect((await uploadZip(host.url, ADMIN_TOKEN, versionedZip('1.0.0', [], { work: 'ok' }), 'vers.zip')).status).toBe(201);
    expect((await sandbox.enable('vers')).status).toBe(200);
    const before = loadLoop(`${host.url}/api/plugins/vers/work`);
    await new Promise((r) => setTimeout(r, 300));
    expect((await before.stop()).failures).toEqual([]);

    const load = loadLoop(`${host.url}/api/plugins/vers/work`);
    const upgrade = await uploadZip(host.url, ADMIN_TOKEN, versionedZip('1.0.1', [], { work: 'fails' }), 'vers.zip', true);
    const during = await load.stop();

    expect(upgrade).toMatchObject({ status: 409, body: { code: 'PLG_UPGRADE_ROLLED_BACK', rollback: { automatic: true, from: '1.0.1', to: '1.0.0' } } });
    expect(upgrade.body.rollback.reason).toMatch(/its error rate was 100\.0 % \(\d+ 5xx answer\(s\)/);
    expect(during.failures.length).toBeGreaterThan(0);
    expect((await sandbox.request('GET', '/api/plugins/vers/work')).body).toEqual({ version: '1.0.0' });
    expect((await sandbox.request('GET', '/api/admin/plugins/vers')).body).toMatchObject({ version: '1.0.0', previousVersion: null, rollback: { from: '1.0.1', to: '1.0.0' } });
  }, 120_000);
});
