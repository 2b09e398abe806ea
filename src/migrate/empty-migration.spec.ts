import type { MigrationInterface, QueryRunner } from 'typeorm';
import { hasEmptyUp } from './empty-migration';

describe('hasEmptyUp', () => {
  it('finds the up() of a fresh skeleton empty, comments and all', () => {
    class Skeleton implements MigrationInterface {
      async up(_queryRunner: QueryRunner): Promise<void> {
        // await queryRunner.query('ALTER TABLE demo_item ADD COLUMN ...');
        /* more to come */
      }
      async down(): Promise<void> {}
    }
    expect(hasEmptyUp(new Skeleton())).toBe(true);
  });

  it('finds an up() that runs a statement not empty, even with a brace in its parameters', () => {
    class Filled implements MigrationInterface {
      async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query('ALTER TABLE demo_item ADD COLUMN due date');
      }
      async down(): Promise<void> {}
    }
    class Destructured {
      async up({ query }: { query: (sql: string) => Promise<unknown> }): Promise<void> {
        await query('SELECT 1');
      }
      async down(): Promise<void> {}
    }
    expect(hasEmptyUp(new Filled())).toBe(false);
    expect(hasEmptyUp(new Destructured() as unknown as MigrationInterface)).toBe(false);
  });
});
