import type { IncomingMessage, ServerResponse } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { EventEmitter2 } from '@nestjs/event-emitter';
import type { LoadedBackend } from '../../loader/plugin-loader';
import type { HostLogger } from '../../logging/host-logger';
import { loadedEventBus } from './plugin-features';
import { scheduledTasks, type SharedApplication, type TaskListing } from './shared-application';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * One active plugin: its own Nest application (its module, its scheduler, its event bus), or its
 * part of an application shared with the plugins it started with (SharedApplication), from its
 * start to its stop. The core's HTTP server sends it the
 * requests under /api/plugins/<id>/; a stopping activation finishes its in-flight requests first.
 */
export class PluginActivation {
  private inflight = 0;
  private drained?: () => void;
  private stopping?: Promise<void>;
  /** Stops the plugin's job workers (set when it declares @JobHandler queues): no new job, running ones waited for. */
  stopJobs?: () => Promise<void>;

  constructor(
    readonly pluginId: string,
    readonly app: INestApplication,
    private readonly handler: RequestHandler,
    readonly backend: LoadedBackend,
    /** The activations of its dependencies when it started: it restarts when one of them does. */
    readonly dependencies: Map<string, PluginActivation>,
    /** Set when the plugin started in an application shared with others. */
    private readonly shared?: SharedApplication,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    this.inflight++;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      if (--this.inflight === 0) this.drained?.();
    };
    res.once('finish', finish);
    res.once('close', finish);
    this.handler(req, res);
  }

  /** Scheduled tasks of this plugin, as `<id>:<name>`. */
  tasks(): TaskListing[] {
    return scheduledTasks(this.app, this.shared ? this.pluginId : undefined);
  }

  /** Delivers a host event to the plugin's @OnEvent handlers, each on its own: one failure never blocks another. */
  async emit(event: string, payload: unknown, logger: HostLogger): Promise<void> {
    const eventBus = loadedEventBus();
    if (!eventBus) return;
    let emitter: EventEmitter2;
    try {
      emitter = this.app.get(eventBus, { strict: false });
    } catch {
      return;
    }
    await Promise.all(
      emitter.listeners(event).map(async (listener) => {
        try {
          await (listener as (p: unknown) => unknown)(payload);
        } catch (err) {
          logger.error(`Plugin '${this.pluginId}': a handler of '${event}' threw: ${(err as Error).message}`);
        }
      }),
    );
  }

  /** Waits for in-flight requests (at most `drainMs`), then closes the application. Idempotent. */
  stop(drainMs: number, logger: HostLogger): Promise<void> {
    this.stopping ??= (async () => {
      await this.stopJobs?.();
      if (this.inflight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            logger.warn(`Plugin '${this.pluginId}': ${this.inflight} request(s) still running after ${drainMs} ms; stopping anyway.`);
            resolve();
          }, drainMs);
          timer.unref();
          this.drained = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      try {
        if (this.shared) await this.shared.detach(this.pluginId, logger);
        else await this.app.close();
      } catch (err) {
        logger.error(`Plugin '${this.pluginId}' did not stop cleanly: ${(err as Error).message}`);
      }
    })();
    return this.stopping;
  }
}
