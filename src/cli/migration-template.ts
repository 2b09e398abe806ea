import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readPluginFolder } from '../discovery/plugin-scanner';
import { PluginError } from '../errors/plugin-error';
import { migrationsDirOf } from '../loader/plugin-loader';

/** Writes a timestamped, empty TypeORM migration into a plugin's migrations folder; returns its path. */
export function createMigration(pluginsDir: string, pluginId: string, name: string, now = Date.now()): string {
  const dir = join(pluginsDir, pluginId);
  if (!existsSync(dir)) {
    throw new PluginError('PLG_NOT_FOUND', `No plugin folder '${pluginId}' in ${pluginsDir}.`, { pluginId, hint: 'Check the id with `appnest list`.' });
  }
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  if (words.length === 0) {
    throw new PluginError('PLG_BAD_REQUEST', `Migration name '${name}' has no letters or digits.`, { pluginId, hint: 'Use a name such as add-due-date.' });
  }
  const plugin = readPluginFolder(dir, 'plugins');
  const target = migrationsDirOf(plugin) ?? join(plugin.backendRoot ?? dir, 'migrations');
  mkdirSync(target, { recursive: true });
  const file = join(target, `${now}-${words.map((w) => w.toLowerCase()).join('-')}.ts`);
  const className = `${words.map((w) => w[0].toUpperCase() + w.slice(1)).join('')}${now}`;
  writeFileSync(
    file,
    `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    // await queryRunner.query('ALTER TABLE ${pluginId.replace(/-/g, '_')}_item ADD COLUMN ...');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // undo what up() did, in reverse order
  }
}
`,
    { flag: 'wx' },
  );
  return relative(process.cwd(), file) || file;
}
