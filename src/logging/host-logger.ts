import type { LoggerService } from '@nestjs/common';

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** One line per event: `time level [context] message`. Never given setting values or secrets. */
export class HostLogger {
  constructor(
    private readonly level: LogLevel = 'info',
    private readonly context = 'appnest',
    private readonly sink: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {}

  child(context: string): HostLogger {
    return new HostLogger(this.level, context, this.sink);
  }

  enabled(level: LogLevel): boolean {
    return RANK[level] <= RANK[this.level];
  }

  log(level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    this.sink(`${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} [${this.context}] ${message}`);
  }

  error(message: string): void {
    this.log('error', message);
  }
  warn(message: string): void {
    this.log('warn', message);
  }
  info(message: string): void {
    this.log('info', message);
  }
  debug(message: string): void {
    this.log('debug', message);
  }

  /** Nest's logger interface over this one. ExceptionHandler output is dropped: the host reports those errors itself, once. */
  forNest(): LoggerService {
    const write = (level: LogLevel, message: unknown, context?: unknown): void => {
      if (context === 'ExceptionHandler' || !this.enabled(level)) return;
      const text = message instanceof Error ? message.message : typeof message === 'string' ? message : JSON.stringify(message);
      (context ? this.child(String(context)) : this).log(level, text);
    };
    return {
      log: (m, c) => write('debug', m, c),
      error: (m, ...rest) => write('error', m, rest[rest.length - 1]),
      warn: (m, c) => write('warn', m, c),
      debug: (m, c) => write('debug', m, c),
      verbose: (m, c) => write('debug', m, c),
    };
  }
}
