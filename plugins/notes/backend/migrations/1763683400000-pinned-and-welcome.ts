import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Adds pinning, and seeds one welcome note: seed data ships as a migration, so it is inserted once. */
export class PinnedAndWelcome1763683400000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE notes_note ADD COLUMN pinned boolean NOT NULL DEFAULT false');
    await q.query(`INSERT INTO notes_note (title, body, pinned) VALUES ('Welcome', 'Notes is an appnest example plugin.', true)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM notes_note WHERE title = 'Welcome' AND pinned`);
    await q.query('ALTER TABLE notes_note DROP COLUMN pinned');
  }
}
