import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMigration } from '../src/cli/migration-template';
import { startHost } from '../src/host/start-host';
import { describeDb } from './support/test-database';
import { TestSandbox } from './support/test-host';

const filled = (className: string, type: string) => `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE pending_one_things ADD COLUMN label ${type}');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE pending_one_things DROP COLUMN label');
  }
}
`;

describeDb('migrations under appnest dev', () => {
  let sandbox: TestSandbox;
  const columns = async () =>
    (
      (await sandbox.host!.db.dataSource.query("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'pending_one_things' ORDER BY column_name")) as {
        column_name: string;
        data_type: string;
      }[]
    ).map((r) => `${r.column_name} ${r.data_type}`);
  const migrations = async () => (await sandbox.request('GET', '/api/admin/plugins/pending-one')).body.migrations;

  beforeAll(async () => {
    sandbox = await TestSandbox.create(['pending-one']);
    sandbox.host = await startHost(sandbox.config(), { logSink: (line) => sandbox.logs.push(line), development: true });
    expect((await sandbox.enable('pending-one')).status).toBe(200);
  });
  afterAll(() => sandbox?.dispose());

  it('holds back a migration whose up() is empty, as migration:create writes it, and applies it once filled in', async () => {
    const file = createMigration(sandbox.pluginsDir, 'pending-one', 'add-label', 1764000000000);
    const name = '1764000000000-add-label';
    await sandbox.host!.reload();
    expect(await migrations()).toMatchObject({ applied: [{ name: '001-create' }], pending: [name] });
    expect(sandbox.logs.some((l) => l.includes(`migration '${name}' has an empty up(); it is applied once it does something`))).toBe(true);
    expect(await columns()).toEqual(['id integer']);

    writeFileSync(join(process.cwd(), file), filled('AddLabel1764000000000', 'text'));
    await sandbox.host!.reload();
    expect(await migrations()).toMatchObject({ applied: [{ name: '001-create' }, { name, changed: false }], pending: [] });
    expect(await columns()).toEqual(['id integer', 'label text']);
  });

  it('redoes the last migration as its file reads now', async () => {
    const dir = join(sandbox.pluginsDir, 'pending-one', 'migrations');
    const name = '1764000000000-add-label';
    expect(readdirSync(dir)).toContain(`${name}.ts`);
    writeFileSync(join(dir, `${name}.ts`), filled('AddLabel1764000000000', 'varchar(40)'));
    await sandbox.host!.reload();
    expect((await migrations()).applied[1]).toMatchObject({ name, changed: true });
    expect(await columns()).toEqual(['id integer', 'label text']);

    expect(await sandbox.request('POST', '/api/admin/plugins/pending-one/migrate/redo')).toMatchObject({ status: 200, body: { redone: name } });
    expect(await columns()).toEqual(['id integer', 'label character varying']);
    expect((await migrations()).applied[1]).toMatchObject({ name, changed: false });
  });

  it('refuses to redo on an enabled plugin outside appnest dev, and says what to do', async () => {
    await sandbox.start();
    const refused = await sandbox.request('POST', '/api/admin/plugins/pending-one/migrate/redo');
    expect(refused).toMatchObject({ status: 400, body: { code: 'PLG_BAD_REQUEST', pluginId: 'pending-one' } });
    expect(refused.body.hint).toContain('appnest dev');
    expect(await columns()).toEqual(['id integer', 'label character varying']);
  });
});
