import { Client } from 'pg';
import type { ChangeChannel, ClusterChange } from '../core/host-adapters';
import type { HostLogger } from '../logging/host-logger';

export const CHANNEL = 'appnest_changes';

/**
 * LISTEN/NOTIFY between the instances sharing one PostgreSQL database. A notification lost while
 * the connection is down is made up for by `onResync` after every reconnect.
 */
export class ClusterChannel implements ChangeChannel {
  private client?: Client;
  private closed = false;
  private retryMs = 250;

  constructor(
    private readonly url: string,
    readonly instanceId: string,
    private readonly logger: HostLogger,
    private readonly onChange: (change: ClusterChange) => void,
    private readonly onResync: () => void,
  ) {}

  async start(): Promise<void> {
    await this.connect(false);
  }

  private async connect(resync: boolean): Promise<void> {
    const client = new Client({ connectionString: this.url, application_name: `appnest-listen-${this.instanceId}` });
    client.on('notification', (msg) => {
      try {
        const change = JSON.parse(msg.payload ?? '{}') as ClusterChange;
        if (change.instance !== this.instanceId) this.onChange(change);
      } catch {
        this.logger.warn(`Ignored a malformed cluster notification: ${msg.payload}`);
      }
    });
    client.on('error', (err) => this.logger.warn(`Cluster channel error: ${err.message}`));
    client.on('end', () => {
      if (this.client === client) this.client = undefined;
      if (!this.closed) this.reconnectLater();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.client = client;
    this.retryMs = 250;
    if (resync) {
      this.logger.info('Cluster channel reconnected; resyncing plugin states from the database');
      this.onResync();
    }
  }

  private reconnectLater(): void {
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 5000);
    const timer = setTimeout(() => {
      if (this.closed) return;
      this.connect(true).catch((err: Error) => {
        this.logger.warn(`Cluster channel reconnect failed (${err.message}); retrying in ${this.retryMs} ms`);
        this.reconnectLater();
      });
    }, delay);
    timer.unref();
  }

  /** Tells the other instances that something changed (called after the change is stored). */
  async publish(change: Omit<ClusterChange, 'instance'>, notify: (sql: string, params: unknown[]) => Promise<unknown>): Promise<void> {
    await notify('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify({ ...change, instance: this.instanceId })]);
  }

  async stop(): Promise<void> {
    this.closed = true;
    await this.client?.end().catch(() => undefined);
  }
}
