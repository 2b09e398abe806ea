import type { AppnestHost } from './appnest-host';

/**
 * What the host's own HTTP routes may use of the core: the admin operations (each one change at a
 * time), the plugin views, and the read-only services behind /metrics, /api/health and the logs.
 * The front door is given this, never the whole host.
 */
export type AdminApi = Pick<
  AppnestHost,
  | 'adminToken'
  | 'config'
  | 'findPlugin'
  | 'plugin'
  | 'listPlugins'
  | 'describePlugin'
  | 'frontendPlugins'
  | 'enable'
  | 'disable'
  | 'reload'
  | 'install'
  | 'uninstall'
  | 'rollback'
  | 'saveSettings'
  | 'runAction'
  | 'migrate'
  | 'revertMigrations'
  | 'redoMigration'
  | 'jobsOf'
  | 'jobOf'
  | 'retryJob'
  | 'cancelJob'
  | 'setLogLevel'
  | 'logLevelOf'
  | 'health'
  | 'healthChecks'
  | 'metrics'
  | 'pluginLogs'
  | 'audit'
  | 'refusedAuthentications'
>;
