import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Leases of scheduled-task ticks and uploaded plugin archives, shared by every instance. */
export class ClusterTables1763769600000 implements MigrationInterface {
  name = 'ClusterTables1763769600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE appnest_task_runs (
      task varchar(200) NOT NULL,
      tick bigint NOT NULL,
      instance varchar(64) NOT NULL,
      at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (task, tick)
    )`);
    await q.query(`CREATE TABLE appnest_plugin_archives (
      plugin_id varchar(64) PRIMARY KEY,
      sha256 char(64) NOT NULL,
      file_name varchar(255) NOT NULL,
      archive bytea NOT NULL,
      installed_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE appnest_plugin_archives');
    await q.query('DROP TABLE appnest_task_runs');
  }
}
