import type { IncomingMessage, ServerResponse } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { HostLogger } from '../logging/host-logger';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * One Nest application built from one set of active plugins. The core's HTTP server sends each
 * request to the current generation; a retired generation finishes its in-flight requests, then
 * closes (its scheduled tasks stop, its database pool closes, its plugins' destroy hooks run).
 */
export class Generation {
  private inflight = 0;
  private drained?: () => void;
  private closing?: Promise<void>;

  constructor(
    readonly number: number,
    readonly app: INestApplication,
    private readonly handler: RequestHandler,
    /** ids of the plugins this generation runs, in start order. */
    readonly pluginIds: string[],
    /** identity of each plugin's loaded code, to tell whether a rebuild is needed. */
    readonly codeVersions: Map<string, unknown>,
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

  /** Waits for in-flight requests (at most `drainMs`), then closes the application. Idempotent. */
  retire(drainMs: number, logger: HostLogger): Promise<void> {
    this.closing ??= (async () => {
      if (this.inflight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            logger.warn(`Generation ${this.number}: ${this.inflight} request(s) still running after ${drainMs} ms; closing anyway.`);
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
        await this.app.close();
      } catch (err) {
        logger.error(`Generation ${this.number} did not close cleanly: ${(err as Error).message}`);
      }
    })();
    return this.closing;
  }
}
