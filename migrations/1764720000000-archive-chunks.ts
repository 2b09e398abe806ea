import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stored plugin archives in slices: one bytea of hundreds of megabytes is built, sent and parsed in
 * one piece by the driver, which stalls the host; slices of a few megabytes are not.
 */
export class ArchiveChunks1764720000000 implements MigrationInterface {
  name = 'ArchiveChunks1764720000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE appnest_plugin_archive_chunks (
      plugin_id varchar(64) NOT NULL,
      seq integer NOT NULL,
      data bytea NOT NULL,
      PRIMARY KEY (plugin_id, seq)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE appnest_plugin_archive_chunks');
  }
}
