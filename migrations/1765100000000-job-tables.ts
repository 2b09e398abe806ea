import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Beside pg-boss's own schema: the progress job handlers report (pg-boss's job row has no such
 * field) and the queues a plugin shares with other plugins (kept while the owner is stopped).
 */
export class JobTables1765100000000 implements MigrationInterface {
  name = 'JobTables1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE appnest_job_progress (
      job_id uuid PRIMARY KEY,
      plugin_id varchar(64) NOT NULL,
      attempt integer NOT NULL,
      percent smallint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query('CREATE INDEX appnest_job_progress_plugin ON appnest_job_progress (plugin_id)');
    await q.query(`CREATE TABLE appnest_job_shared_queues (
      queue varchar(200) PRIMARY KEY,
      plugin_id varchar(64) NOT NULL,
      senders jsonb,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE appnest_job_shared_queues');
    await q.query('DROP TABLE appnest_job_progress');
  }
}
