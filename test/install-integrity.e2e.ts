import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describeDb } from './support/test-database';
import { ADMIN_TOKEN, TestSandbox } from './support/test-host';
import { sha256, versionedZip, versionOnDisk } from './support/versioned-plugin';
import { uploadZip, zipFixture } from './support/zips';

describeDb('installs as transactions', () => {
  let sandbox: TestSandbox;
  afterEach(() => sandbox?.dispose());

  const upload = (zip: Buffer, name = 'vers.zip', overwrite = true) => uploadZip(sandbox.host!.url, ADMIN_TOKEN, zip, name, overwrite);
  const storedSha = () => sandbox.host!.archives.storedSha('vers');
  const staging = () => (existsSync(join(sandbox.pluginsDir, '.staging')) ? readdirSync(join(sandbox.pluginsDir, '.staging')) : []);

  /** What is served, what is on disk, what the admin API shows and what the database stores, for plugin 'vers'. */
  async function views(shaToVersion: Map<string, string>) {
    const served = (await sandbox.request('GET', '/api/plugins/vers/version')).body.version;
    const api = (await sandbox.request('GET', '/api/admin/plugins/vers')).body.version;
    const stored = shaToVersion.get((await storedSha()) ?? '');
    const record = (await sandbox.host!.db.dataSource.query(`SELECT version FROM appnest_plugins WHERE id = 'vers'`))[0].version;
    return { served, disk: versionOnDisk(sandbox.pluginsDir), api, stored, record };
  }

  it('serves, keeps on disk, lists and stores one and the same version after two and after twenty concurrent overwrites', async () => {
    sandbox = await TestSandbox.create();
    await sandbox.start();
    const shaToVersion = new Map<string, string>();
    const zipOf = (version: string) => {
      const zip = versionedZip(version);
      shaToVersion.set(sha256(zip), version);
      return zip;
    };
    expect((await upload(zipOf('1.0.10'), 'vers.zip', false)).status).toBe(201);
    expect((await sandbox.enable('vers')).status).toBe(200);

    for (const [count, first] of [
      [2, 20],
      [20, 40],
    ]) {
      const versions = Array.from({ length: count }, (_, i) => `1.0.${first + i}`);
      const replies = await Promise.all(versions.map((v) => upload(zipOf(v))));
      expect(replies.map((r) => r.status)).toEqual(versions.map(() => 201));
      const seen = await views(shaToVersion);
      expect(versions).toContain(seen.served);
      expect(seen).toEqual({ served: seen.served, disk: seen.served, api: seen.served, stored: seen.served, record: seen.served });
      expect(staging()).toEqual([]);
    }
    await sandbox.request('POST', '/api/admin/plugins/reload');
    const afterReload = await views(shaToVersion);
    expect(new Set(Object.values(afterReload)).size).toBe(1);
  });

  it('answers 400 for an archive name over 255 bytes, before anything changes, and keeps serving and storing the previous version', async () => {
    sandbox = await TestSandbox.create();
    await sandbox.start();
    const first = versionedZip('1.0.0');
    await upload(first, 'vers.zip', false);
    await sandbox.enable('vers');

    const reply = await upload(versionedZip('2.0.0'), `${'x'.repeat(300)}.zip`);

    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ statusCode: 400, code: 'PLG_BAD_REQUEST' });
    expect((await sandbox.request('GET', '/api/plugins/vers/version')).body).toEqual({ version: '1.0.0' });
    expect(versionOnDisk(sandbox.pluginsDir)).toBe('1.0.0');
    expect(await storedSha()).toBe(sha256(first));
    expect(staging()).toEqual([]);
  });

  it('puts the previous version back exactly when the database refuses to store the new archive, and leaves no record for a new id', async () => {
    sandbox = await TestSandbox.create();
    await sandbox.start();
    const first = versionedZip('1.0.0');
    await upload(first, 'vers.zip', false);
    await sandbox.enable('vers');
    const db = sandbox.host!.db.dataSource;
    await db.query(`CREATE FUNCTION refuse_archive() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'archive store is down'; END $$ LANGUAGE plpgsql`);
    await db.query('CREATE TRIGGER refuse_archive BEFORE INSERT OR UPDATE ON appnest_plugin_archives FOR EACH ROW EXECUTE FUNCTION refuse_archive()');

    const upgrade = await upload(versionedZip('2.0.0'));
    expect(upgrade.status).toBe(500);
    expect(upgrade.body).toMatchObject({ code: 'PLG_INTERNAL', pluginId: 'vers' });
    expect(upgrade.body.message).not.toContain('archive store is down');
    expect((await sandbox.request('GET', '/api/plugins/vers/version')).body).toEqual({ version: '1.0.0' });
    expect((await sandbox.request('GET', '/api/admin/plugins/vers')).body).toMatchObject({ version: '1.0.0', state: 'active' });
    expect(versionOnDisk(sandbox.pluginsDir)).toBe('1.0.0');
    expect(await storedSha()).toBe(sha256(first));

    const fresh = await upload(zipFixture('echo'), 'echo.zip', false);
    expect(fresh.status).toBe(500);
    expect(existsSync(join(sandbox.pluginsDir, 'echo'))).toBe(false);
    expect((await sandbox.request('GET', '/api/admin/plugins/echo')).status).toBe(404);
    expect(staging()).toEqual([]);

    const audit = (await sandbox.request('GET', '/api/admin/audit')).body as any[];
    expect(audit.filter((a) => a.outcome === 'failed').map((a) => [a.pluginId, a.detail.restored])).toEqual([
      ['echo', false],
      ['vers', true],
    ]);
  });
});
