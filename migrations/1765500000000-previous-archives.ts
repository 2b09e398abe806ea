import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The archive an upgrade replaced, kept until the next upgrade, so that a rollback on one instance
 * can make it the stored archive again and every other instance follows; and each plugin's last
 * rollback, which every instance shows, also after a restart.
 */
export class PreviousArchives1765500000000 implements MigrationInterface {
  name = 'PreviousArchives1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE appnest_plugin_archive_previous (
      plugin_id varchar(64) PRIMARY KEY,
      sha256 char(64) NOT NULL,
      file_name varchar(255) NOT NULL,
      archive bytea NOT NULL,
      kept_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE appnest_plugin_archive_previous_chunks (
      plugin_id varchar(64) NOT NULL,
      seq integer NOT NULL,
      data bytea NOT NULL,
      PRIMARY KEY (plugin_id, seq)
    )`);
    await q.query('ALTER TABLE appnest_plugins ADD COLUMN last_rollback jsonb NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE appnest_plugins DROP COLUMN last_rollback');
    await q.query('DROP TABLE appnest_plugin_archive_previous_chunks');
    await q.query('DROP TABLE appnest_plugin_archive_previous');
  }
}
