import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHost } from '../src/host/start-host';
import { describeDb, TEST_DB } from './support/test-database';
import { TestSandbox } from './support/test-host';

const NOTES = join(__dirname, '..', 'plugins', 'notes');

async function tableExists(sandbox: TestSandbox, table: string): Promise<boolean> {
  const rows = await sandbox.host!.db.dataSource.query('SELECT to_regclass($1) AS t', [`public.${table}`]);
  return rows[0].t !== null;
}

async function columns(sandbox: TestSandbox, table: string): Promise<string[]> {
  const rows = await sandbox.host!.db.dataSource.query(`SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_name = $1 ORDER BY column_name`, [
    table,
  ]);
  return rows.map((r: any) => `${r.column_name} ${r.data_type} ${r.is_nullable} ${r.column_default}`);
}

async function ledger(sandbox: TestSandbox, pluginId: string): Promise<string[]> {
  const rows = await sandbox.host!.db.dataSource.query('SELECT name FROM appnest_plugin_migrations WHERE plugin_id = $1 ORDER BY name', [pluginId]);
  return rows.map((r: any) => r.name);
}

describeDb('plugin data: entities and per-plugin migrations', () => {
  let sandbox: TestSandbox;
  afterEach(() => sandbox?.dispose());

  it('creates the tables of notes on enable, applies nothing new on restart, and keeps its rows', async () => {
    sandbox = await TestSandbox.create();
    sandbox.addPlugin(join('..', '..', 'plugins', 'notes'), 'notes');
    await sandbox.start();
    expect((await sandbox.enable('notes')).status).toBe(200);
    expect(await ledger(sandbox, 'notes')).toEqual(['1763683300000-create-notes', '1763683400000-pinned-and-welcome']);
    const created = await sandbox.request('POST', '/api/plugins/notes/notes', { title: 'Ship it', body: 'today' });
    expect(created.status).toBe(201);
    expect((await sandbox.request('POST', '/api/plugins/notes/notes', { title: '' })).status).toBe(400);

    const before = await sandbox.host!.db.dataSource.query(`SELECT name, applied_at FROM appnest_plugin_migrations WHERE plugin_id = 'notes' ORDER BY name`);
    await sandbox.start();
    const after = await sandbox.host!.db.dataSource.query(`SELECT name, applied_at FROM appnest_plugin_migrations WHERE plugin_id = 'notes' ORDER BY name`);
    expect(after).toEqual(before);
    const list = await sandbox.request('GET', '/api/plugins/notes/notes');
    expect(list.body.map((n: any) => n.title)).toEqual(['Welcome', 'Ship it']);
    const view = await sandbox.request('GET', '/api/admin/plugins/notes');
    expect(view.body.migrations.pending).toEqual([]);
    expect(view.body.migrations.applied.map((m: any) => m.name)).toEqual(['1763683300000-create-notes', '1763683400000-pinned-and-welcome']);
    expect(view.body.entities).toEqual(['notes_note']);
    expect(NOTES).toBeTruthy();
  });

  it('keeps a plugin whose applied migration was edited running with a warning, and refuses it with PLG_MIGRATION_CHECKSUM when strict', async () => {
    sandbox = await TestSandbox.create();
    const dir = sandbox.addPlugin(join('..', '..', 'plugins', 'notes'), 'notes');
    await sandbox.start();
    expect((await sandbox.enable('notes')).body).toMatchObject({ state: 'active' });
    appendFileSync(join(dir, 'backend', 'migrations', '1763683300000-create-notes.ts'), '// edited after it was applied\n');

    await sandbox.start();
    const warned = await sandbox.request('GET', '/api/admin/plugins/notes');
    expect(warned.body).toMatchObject({ state: 'active' });
    expect(warned.body.migrations.applied).toContainEqual(expect.objectContaining({ name: '1763683300000-create-notes', changed: true }));
    expect(sandbox.logs.join('\n')).toMatch(/applied migration '1763683300000-create-notes' changed since it was applied/);

    await sandbox.start({ migrationChecksum: 'strict' });
    const refused = await sandbox.request('GET', '/api/admin/plugins/notes');
    expect(refused.body).toMatchObject({ state: 'failed', error: { code: 'PLG_MIGRATION_CHECKSUM' } });
    expect(refused.body.error.message).toMatch(/'notes'.*'1763683300000-create-notes' changed/);
  });

  it("rolls back a failing migration alone, marks its plugin failed, and still applies another plugin's migrations", async () => {
    sandbox = await TestSandbox.create(['migrate-fail', 'pending-one']);
    await sandbox.start();
    const reply = await sandbox.enable('migrate-fail');
    expect(reply.status).toBe(500);
    expect(reply.body).toMatchObject({ code: 'PLG_MIGRATION_FAILED', pluginId: 'migrate-fail', migration: '002-second-throws' });
    expect(reply.body.message).toContain("'002-second-throws'");
    expect(await ledger(sandbox, 'migrate-fail')).toEqual(['001-first']);
    expect(await tableExists(sandbox, 'migrate_fail_one')).toBe(true);
    expect(await tableExists(sandbox, 'migrate_fail_two')).toBe(false);
    expect(await columns(sandbox, 'migrate_fail_one')).toEqual(['id integer NO null']);

    // Both enabled at the next start: the failing one fails again, the other one's migration applies.
    await sandbox.host!.db.dataSource.query(`UPDATE appnest_plugins SET enabled = true, ever_enabled = true WHERE id = 'pending-one'`);
    await sandbox.start();
    const plugins = (await sandbox.request('GET', '/api/admin/plugins')).body as any[];
    expect(plugins.find((p) => p.id === 'migrate-fail')).toMatchObject({ state: 'failed', error: { code: 'PLG_MIGRATION_FAILED' } });
    expect(plugins.find((p) => p.id === 'pending-one')).toMatchObject({ state: 'active' });
    expect(await ledger(sandbox, 'pending-one')).toEqual(['001-create']);
    expect(await ledger(sandbox, 'migrate-fail')).toEqual(['001-first']);
  });

  it('refuses a plugin whose table another plugin or the host owns, naming both', async () => {
    sandbox = await TestSandbox.create(['clash-a', 'clash-b', 'claims-host-table', 'echo']);
    await sandbox.start();
    expect((await sandbox.enable('clash-a')).status).toBe(200);
    const second = await sandbox.enable('clash-b');
    expect(second.body).toMatchObject({ statusCode: 409, code: 'PLG_TABLE_CONFLICT', pluginId: 'clash-b', table: 'shared_items', owner: 'clash-a' });
    expect(second.body.message).toMatch(/'clash-b'.*'shared_items'.*'clash-a'/);
    const host = await sandbox.enable('claims-host-table');
    expect(host.body).toMatchObject({ code: 'PLG_TABLE_CONFLICT', owner: 'the host' });
    expect((await sandbox.enable('echo')).status).toBe(200);
    expect((await sandbox.request('GET', '/api/admin/plugins/clash-a')).body.state).toBe('active');
  });

  it('refuses a plugin with two migrations of one name', async () => {
    sandbox = await TestSandbox.create(['dup-migrations']);
    await sandbox.start();
    const reply = await sandbox.enable('dup-migrations');
    expect(reply.body).toMatchObject({ code: 'PLG_MIGRATION_DUPLICATE', pluginId: 'dup-migrations' });
    expect(reply.body.message).toContain("'001-init'");
  });

  it('reverts and re-applies to the same schema, and purge leaves no table behind', async () => {
    sandbox = await TestSandbox.create();
    sandbox.addPlugin(join('..', '..', 'plugins', 'notes'), 'notes');
    await sandbox.start();
    await sandbox.enable('notes');
    const schema = await columns(sandbox, 'notes_note');
    await sandbox.disable('notes');
    const host = sandbox.host!;
    await expect(host.revertMigrations('notes', 'nope')).rejects.toMatchObject({ code: 'PLG_MIGRATION_NOT_FOUND' });
    expect(await host.revertMigrations('notes', '1763683300000-create-notes')).toEqual({ reverted: ['1763683400000-pinned-and-welcome'] });
    expect(await columns(sandbox, 'notes_note')).not.toContain(schema.find((c) => c.startsWith('pinned')));
    expect(await host.revertMigrations('notes')).toEqual({ reverted: ['1763683300000-create-notes'] });
    expect(await tableExists(sandbox, 'notes_note')).toBe(false);
    await sandbox.enable('notes');
    expect(await columns(sandbox, 'notes_note')).toEqual(schema);

    const purge = await sandbox.request('DELETE', '/api/admin/plugins/notes?purge=true');
    expect(purge.status).toBe(200);
    expect(await tableExists(sandbox, 'notes_note')).toBe(false);
    expect(await ledger(sandbox, 'notes')).toEqual([]);
    expect((await sandbox.request('GET', '/api/admin/plugins/notes')).status).toBe(404);
    expect((await sandbox.request('GET', '/api/plugins/notes/notes')).status).toBe(404);
  });

  (TEST_DB === 'postgres' ? it : it.skip)('applies each migration once when two hosts start together on one fresh database', async () => {
    sandbox = await TestSandbox.create(['pending-one']);
    sandbox.addPlugin(join('..', '..', 'plugins', 'notes'), 'notes');
    const startTwo = () =>
      Promise.all([
        startHost(sandbox.config({ dataDir: join(sandbox.root, 'data-1') }), { logSink: () => undefined }),
        startHost(sandbox.config({ dataDir: join(sandbox.root, 'data-2') }), { logSink: () => undefined }),
      ]);
    let hosts = await startTwo();
    await Promise.all(hosts.map((h) => h.stop()));
    sandbox.host = await startHost(sandbox.config(), { logSink: () => undefined });
    await sandbox.host.db.dataSource.query(`UPDATE appnest_plugins SET enabled = true, ever_enabled = true`);
    await sandbox.host.stop();
    sandbox.host = undefined;
    hosts = await startTwo();
    try {
      const rows = await hosts[0].db.dataSource.query('SELECT plugin_id, name, count(*)::int AS n FROM appnest_plugin_migrations GROUP BY plugin_id, name ORDER BY 1, 2');
      expect(rows).toEqual([
        { plugin_id: 'notes', name: '1763683300000-create-notes', n: 1 },
        { plugin_id: 'notes', name: '1763683400000-pinned-and-welcome', n: 1 },
        { plugin_id: 'pending-one', name: '001-create', n: 1 },
      ]);
      const welcome = await hosts[0].db.dataSource.query(`SELECT count(*)::int AS n FROM notes_note WHERE title = 'Welcome'`);
      expect(welcome[0].n).toBe(1);
      for (const h of hosts) {
        const res = await fetch(`${h.url}/api/plugins/notes/notes`);
        expect(res.status).toBe(200);
      }
    } finally {
      await Promise.all(hosts.map((h) => h.stop()));
    }
  });
});
