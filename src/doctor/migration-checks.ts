import { basename } from 'node:path';
import type { DiscoveredPlugin } from '../discovery/plugin-scanner';
import { PluginError } from '../errors/plugin-error';
import type { PluginCodeLoader } from '../loader/plugin-code-loader';
import { instantiateMigration, listMigrationFiles, type PluginMigrationFile } from '../loader/plugin-loader';
import { findingOf, warningFinding, type Finding } from './doctor-finding';

/** `1763683300000-create-notes`, `20260101120000_init`: a timestamp of 10 digits or more first. */
const TIMESTAMPED = /^\d{10,}([-_.]|[A-Za-z]|$)/;

/**
 * Migration files: unique names, timestamp-first names (they run in name order), each exporting
 * one class with up() and down(). `code` is given when the plugin compiled: the files are imported.
 */
export function checkMigrations(plugin: DiscoveredPlugin, code: PluginCodeLoader | undefined, findings: Finding[]): void {
  let migrations: PluginMigrationFile[];
  try {
    migrations = listMigrationFiles(plugin);
  } catch (err) {
    if (!(err instanceof PluginError)) throw err;
    findings.push(findingOf(err, plugin.id));
    return;
  }
  for (const migration of migrations) {
    if (!TIMESTAMPED.test(migration.name)) {
      findings.push(
        warningFinding(
          'PLG_MIGRATION_NAME',
          plugin.id,
          `Plugin '${plugin.id}': migration '${basename(migration.file)}' does not start with a timestamp; migrations run in name order.`,
          `Create migrations with \`appnest migration:create ${plugin.id} <name>\`.`,
        ),
      );
    }
    if (!code) continue;
    try {
      instantiateMigration(code, migration);
    } catch (err) {
      if (!(err instanceof PluginError)) throw err;
      findings.push(findingOf(err, plugin.id));
    }
  }
}
