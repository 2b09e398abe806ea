import { describeDb, TEST_DB } from './support/test-database';
import { ADMIN_TOKEN } from './support/test-host';
import { TestCluster, type ClusterInstance as Instance } from './support/test-cluster';
import { sha256, versionedZip, versionOnDisk } from './support/versioned-plugin';
import { uploadZip } from './support/zips';

(TEST_DB === 'postgres' ? describeDb : describe.skip)('installs on two instances', () => {
  let cluster: TestCluster;
  let sql: TestCluster['sql'];
  const instances: Instance[] = [];

  beforeAll(async () => {
    cluster = await TestCluster.create('cluster-installs');
    sql = cluster.sql;
  });

  afterAll(() => cluster?.close());

  /** Per instance: served, on disk, in the admin API; plus what the database stores. */
  async function views(shaToVersion: Map<string, string>) {
    const [row] = (await sql.query(`SELECT sha256 FROM appnest_plugin_archives WHERE plugin_id = 'vers'`)).rows;
    const seen = await Promise.all(
      instances.map(async (i) => ({
        served: ((await (await fetch(`${i.url}/api/plugins/vers/version`)).json()) as any).version,
        disk: versionOnDisk(i.pluginsDir),
        api: ((await (await fetch(`${i.url}/api/admin/plugins/vers`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as any).version,
      })),
    );
    return { stored: shaToVersion.get(String(row?.sha256 ?? '').trim()), seen };
  }

  it('serves one and the same version everywhere, the stored one, after twenty concurrent overwrites sent to both', async () => {
    for (let n = 0; n < 2; n++) instances.push(...(await cluster.start(1)));
    const shaToVersion = new Map<string, string>();
    const zipOf = (version: string) => {
      const zip = versionedZip(version);
      shaToVersion.set(sha256(zip), version);
      return zip;
    };
    const [one, two] = instances;
    expect((await uploadZip(one.url, ADMIN_TOKEN, zipOf('1.0.10'), 'vers.zip')).status).toBe(201);
    await fetch(`${one.url}/api/admin/plugins/vers/enabled`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: true, acceptRisk: true }),
    });

    const versions = Array.from({ length: 20 }, (_, i) => `1.0.${20 + i}`);
    const replies = await Promise.all(versions.map((v, i) => uploadZip((i % 2 ? two : one).url, ADMIN_TOKEN, zipOf(v), 'vers.zip', true)));
    expect(replies.map((r) => [r.status, r.body.code, r.body.message])).toEqual(versions.map(() => [201, undefined, undefined]));

    const deadline = Date.now() + 10_000;
    let last = await views(shaToVersion);
    const consistent = (v: typeof last) => v.stored !== undefined && v.seen.every((s) => s.served === v.stored && s.disk === v.stored && s.api === v.stored);
    while (!consistent(last) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      last = await views(shaToVersion);
    }
    expect(versions).toContain(last.stored);
    expect(last.seen).toEqual([0, 1].map(() => ({ served: last.stored, disk: last.stored, api: last.stored })));
  }, 120_000);
});
