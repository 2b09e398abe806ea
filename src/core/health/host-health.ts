import type { DataSource } from 'typeorm';
import { withTimeout } from '../activation/timeout';
import { checkPluginHealth, type PluginHealth, type PluginHealthSource } from './plugin-health-checks';

export const READY_DATABASE_TIMEOUT_MS = 2000;

export interface HostHealthReport {
  /** The host itself: it answers. Plugin trouble shows in `plugins`, never here. */
  status: 'ok';
  instance: string;
  activePlugins: number;
  /** No plugin starts (APPNEST_SAFE_MODE=1 or `appnest start --safe`). */
  safeMode: boolean;
  plugins: PluginHealth[];
}

export interface Readiness {
  ready: boolean;
  reason?: string;
}

/** What `/api/health`, `/api/health/live` and `/api/health/ready` answer. */
export class HostHealth {
  constructor(
    private readonly instance: string,
    private readonly plugins: PluginHealthSource & { activeCount(): number },
    private readonly dataSource: DataSource,
    private readonly stopping: () => boolean,
    private readonly safeMode = false,
  ) {}

  async report(): Promise<HostHealthReport> {
    return { status: 'ok', instance: this.instance, activePlugins: this.plugins.activeCount(), safeMode: this.safeMode, plugins: await checkPluginHealth(this.plugins) };
  }

  /** Ready for traffic: started (this answers only after the boot's plugins started), not stopping, and the database answers. */
  async readiness(): Promise<Readiness> {
    if (this.stopping()) return { ready: false, reason: 'The host is stopping.' };
    try {
      await withTimeout(this.dataSource.query('SELECT 1'), READY_DATABASE_TIMEOUT_MS, () => new Error(`The database did not answer within ${READY_DATABASE_TIMEOUT_MS} ms.`));
      return { ready: true };
    } catch (err) {
      return { ready: false, reason: `The database does not answer: ${(err as Error).message}` };
    }
  }
}
