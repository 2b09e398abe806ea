import type { EntityManager } from 'typeorm';
import type { Db } from 'pg-boss';
import { PluginError } from '../errors/plugin-error';

/**
 * pg-boss's view of an open TypeORM transaction: its statements run on the transaction's own
 * connection, so the job row commits or rolls back with the plugin's rows (and, on PGlite's one
 * backend, no statement waits for another connection while the transaction is open).
 */
export function transactionDatabase(manager: EntityManager, pluginId: string): Db {
  const runner = manager.queryRunner;
  if (!runner?.isTransactionActive) {
    throw new PluginError('PLG_JOB_SEND_FAILED', `Plugin '${pluginId}': send({ manager }) needs the manager of an open transaction.`, {
      pluginId,
      hint: 'Pass the manager that dataSource.transaction(async (manager) => ...) gives you, or leave `manager` out.',
    });
  }
  return {
    executeSql: async (text: string, values?: unknown[]) => {
      const result = await runner.query(text, values as unknown[] | undefined, true);
      return { rows: (result.records ?? []) as unknown[] };
    },
  };
}
