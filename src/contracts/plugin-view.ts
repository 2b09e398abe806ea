// The shapes the admin API answers with, shared by the host (which builds them), the CLI (which
// prints them) and the web app (which shows them). Types only, importing nothing, so the web
// app's type check can read this file as it is.

export type PluginState = 'installed' | 'enabled' | 'active' | 'disabled' | 'failed' | 'invalid' | 'incompatible' | 'missing';
export type PluginSource = 'plugins' | 'frontend-plugins';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
export type SettingType = 'boolean' | 'number' | 'string' | 'text' | 'select' | 'secret';

export interface SettingOption {
  value: string;
  label: string;
}

/** One field of a plugin's settings form (plugin.json `settings`). */
export interface SettingDescriptor {
  id: string;
  label: string;
  type: SettingType;
  default?: unknown;
  required?: boolean;
  min?: number;
  max?: number;
  options?: SettingOption[];
  helpText?: string;
}

/** One action a plugin offers (plugin.json `actions`). */
export interface ActionDescriptor {
  id: string;
  label: string;
  description?: string;
  confirm?: { title: string; message: string };
}

export interface PluginRoute {
  method: string;
  path: string;
}

export interface TaskListing {
  name: string;
  kind: 'cron' | 'interval' | 'timeout';
}

export interface MigrationStatus {
  applied: { name: string; appliedAt: string; changed: boolean }[];
  pending: string[];
  /** Why the status could not be read. */
  error?: string;
}

/** What a plugin's card and the admin API show of its metrics (since the host started). */
export interface PluginMetricsSummary {
  requests: number;
  /** Requests in the last 60 seconds: the plugin's request rate now. */
  requestsLastMinute: number;
  serverErrors: number;
  meanRequestMs: number | null;
  taskRuns: number;
  taskFailures: number;
  /** Job attempts of its handlers on this instance: completed, failed for good, failed and retried. */
  jobsCompleted: number;
  jobsFailed: number;
  jobsRetried: number;
  /** Times it blocked the event loop for at least the threshold (APPNEST_BLOCKED_LOOP_MS), and the last one. */
  loopBlocks: number;
  lastLoopBlock: { ms: number; at: string } | null;
}

export type UnhandledKind = 'unhandled rejection' | 'uncaught exception';

/** What the admin view shows of one plugin's stray errors. */
export interface UnhandledErrorView {
  unhandledErrors: number;
  lastUnhandledError: { kind: UnhandledKind; message: string; at: string } | null;
  /** It keeps firing them; cleared when it next starts. */
  degraded: boolean;
}

/** One plugin as GET /api/admin/plugins (and `appnest list --json`) describes it. */
export interface PluginView extends UnhandledErrorView {
  id: string;
  name: string;
  version: string;
  description: string | null;
  author: string | null;
  /** Found by the old layout (no backend/ folder). */
  legacy: boolean;
  source: PluginSource | null;
  state: PluginState;
  enabled: boolean;
  everEnabled: boolean;
  error: { code: string; message: string; hint: string | null } | null;
  backend: boolean;
  frontend: boolean;
  frontendError: string | null;
  dependsOn: Record<string, string>;
  conflictsWith: string[];
  settingsSchema: SettingDescriptor[];
  /** With secrets masked. */
  settings: Record<string, unknown>;
  actions: ActionDescriptor[];
  routes: PluginRoute[];
  tasks: TaskListing[];
  entities: string[];
  migrations: MigrationStatus;
  /** This instance's figures since it started (the full series are on GET /metrics). */
  metrics: PluginMetricsSummary;
  /** Its level and last log lines on this instance. */
  logs: { level: LogLevel; lines: string[] };
  /** The version the last upgrade kept on this instance, which a rollback goes back to; null when none. */
  previousVersion: string | null;
  /** The last rollback on this instance since it started (automatic after a failed probe window, or by hand); null when none. */
  rollback: RollbackView | null;
}

/** A rollback: from the version that was rolled back, to the previous one, which serves again. */
export interface RollbackView {
  /** PLG_UPGRADE_ROLLED_BACK for an automatic rollback; null for one asked for by an operator. */
  code: string | null;
  automatic: boolean;
  from: string;
  to: string;
  reason: string;
  at: string;
}

/** What an install (upload, `appnest install`) answers: the plugin, and what happened. */
export interface InstalledPluginView extends PluginView {
  replaced: boolean;
  sha256: string;
}

/** What an uninstall (DELETE /api/admin/plugins/<id>) answers. */
export interface UninstallResult {
  id: string;
  purged: boolean;
  /** The migrations reverted by --purge, newest first. */
  reverted: string[];
}
