import { until } from './support/wait';
import { loadLoop } from './support/load-loop';
import { describeDb, TEST_DB } from './support/test-database';
import { TestCluster, type ClusterInstance } from './support/test-cluster';
import { ADMIN_TOKEN } from './support/test-host';
import { sha256, versionedZip, versionOnDisk } from './support/versioned-plugin';
import { uploadZip } from './support/zips';

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

(TEST_DB === 'postgres' ? describeDb : describe.skip)('rollback on two instances', () => {
  let cluster: TestCluster;
  const instances: ClusterInstance[] = [];

  beforeAll(async () => {
    cluster = await TestCluster.create('cluster-rollback');
  });
  afterAll(() => cluster?.close());

  const served = async (url: string) => ((await (await fetch(`${url}/api/plugins/vers/version`)).json()) as { version?: string }).version;

  it('rolls an upgrade whose health check answers 500 back on the instance that ran it, and the other follows, with no failed request on either', async () => {
    for (let n = 0; n < 2; n++) instances.push(...(await cluster.start(1, { env: { APPNEST_UPGRADE_PROBE_MS: '2000' } })));
    const [a, b] = instances;
    const v1 = versionedZip('1.0.0', [], { health: 'ok' });
    expect((await uploadZip(a.url, ADMIN_TOKEN, v1, 'vers.zip')).status).toBe(201);
    const enabled = await fetch(`${a.url}/api/admin/plugins/vers/enabled`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ enabled: true, acceptRisk: true }),
    });
    expect(enabled.status).toBe(200);
    await until(async () => (await served(b.url)) === '1.0.0', 20_000, 'the second instance to serve 1.0.0', 50);

    const loads = instances.map((i) => loadLoop(`${i.url}/api/plugins/vers/version`));
    const upgrade = await uploadZip(a.url, ADMIN_TOKEN, versionedZip('1.0.1', [], { health: 'failed' }), 'vers.zip', true);
    await until(async () => (await served(b.url)) === '1.0.0' && versionOnDisk(b.pluginsDir) === '1.0.0', 20_000, 'the second instance to follow the rollback', 50);
    const [onA, onB] = await Promise.all(loads.map((l) => l.stop()));

    expect(upgrade).toMatchObject({ status: 409, body: { code: 'PLG_UPGRADE_ROLLED_BACK', rollback: { from: '1.0.1', to: '1.0.0' } } });
    expect({ a: onA.failures, b: onB.failures }).toEqual({ a: [], b: [] });
    expect(onA.served).toEqual(['1.0.0', '1.0.1']);
    expect(onB.served).toContain('1.0.0');
    const [row] = (await cluster.sql.query(`SELECT sha256 FROM appnest_plugin_archives WHERE plugin_id = 'vers'`)).rows;
    expect(String(row.sha256).trim()).toBe(sha256(v1));
    for (const i of instances) expect(await served(i.url)).toBe('1.0.0');
    expect(versionOnDisk(a.pluginsDir)).toBe('1.0.0');
    // The rollback is stored: the other instance shows it too.
    const view = async (url: string) =>
      (await (await fetch(`${url}/api/admin/plugins/vers`, { headers: auth })).json()) as { version: string; previousVersion: string | null; rollback: { from: string; to: string } | null };
    await until(async () => (await view(b.url)).rollback?.from === '1.0.1', 20_000, 'the second instance to show the rollback', 50);

    // A healthy upgrade on A is kept on both, and the second instance rolls it back by hand: A follows.
    const v2 = versionedZip('1.0.2', [], { health: 'ok' });
    expect((await uploadZip(a.url, ADMIN_TOKEN, v2, 'vers.zip', true)).status).toBe(201);
    await until(async () => (await served(b.url)) === '1.0.2' && (await view(b.url)).previousVersion === '1.0.0', 20_000, 'the second instance to serve 1.0.2 and keep 1.0.0', 50);
    expect((await view(b.url)).rollback).toBeNull();
    const byHand = instances.map((i) => loadLoop(`${i.url}/api/plugins/vers/version`));
    const rolled = await fetch(`${b.url}/api/admin/plugins/vers/rollback`, { method: 'POST', headers: auth });
    expect(rolled.status).toBe(200);
    await until(async () => (await served(a.url)) === '1.0.0' && (await view(a.url)).previousVersion === null, 20_000, 'the first instance to follow the rollback made on the second', 50);
    const around = await Promise.all(byHand.map((l) => l.stop()));
    expect(around.map((l) => l.failures)).toEqual([[], []]);
    expect(await view(a.url)).toMatchObject({ version: '1.0.0', previousVersion: null, rollback: { from: '1.0.2', to: '1.0.0' } });
    const [stored] = (await cluster.sql.query(`SELECT sha256 FROM appnest_plugin_archives WHERE plugin_id = 'vers'`)).rows;
    expect(String(stored.sha256).trim()).toBe(sha256(v1));
  }, 180_000);
});
