import type { LoggerService } from '@nestjs/common';

import type { LogLevel } from '../contracts/plugin-view';

export type { LogLevel } from '../contracts/plugin-view';
const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** One line per event: `time level [context] message`. Never given setting values or secrets. */
export class HostLogger {
  constructor(
    private readonly level: LogLevel = 'info',
    private readonly context = 'appnest',
    private readonly sink: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
    /** Levels set live for one context (`plugin:<id>`), shared by every child. */
    readonly levels: Map<string, LogLevel> = new Map(),
  ) {}

  child(context: string): HostLogger {
    return new HostLogger(this.level, context, this.sink, this.levels);
  }

  enabled(level: LogLevel, context = this.context): boolean {
    return RANK[level] <= RANK[this.levels.get(context) ?? this.level];
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

  /**
   * Nest's logger interface over this one. Nest sets one logger for every `Logger` of the process,
   * so each line asks `pluginOf` whose code wrote it (given the error the line reports, if any):
   * a plugin's lines (its `Logger`, Nest's ExceptionsHandler for its routes, its tasks) go under
   * `plugin:<id>`, and its `log()` shows at info. Nest's own start-up chatter, and `log()` outside
   * any plugin, stay at debug. ExceptionHandler (start failures) is dropped: the host reports
   * those errors itself, once.
   */
  forNest(pluginOf: (cause?: Error) => string | undefined = () => undefined): LoggerService {
    const write = (nestLevel: keyof typeof NEST_LEVELS, message: unknown, params: unknown[]): void => {
      const context = params.length ? params[params.length - 1] : undefined;
      if (context === 'ExceptionHandler') return;
      const name = typeof context === 'string' && context ? context : undefined;
      // Without a level set live, skip finding the plugin (a stack walk) for a line nobody shows.
      if (this.levels.size === 0 && !this.enabled(nestLevel === 'log' ? 'info' : NEST_LEVELS[nestLevel])) return;
      const cause = [message, ...params].find((p): p is Error => p instanceof Error);
      const pluginId = name !== undefined && NEST_CHATTER.has(name) ? undefined : pluginOf(cause);
      const level: LogLevel = nestLevel === 'log' && pluginId !== undefined ? 'info' : NEST_LEVELS[nestLevel];
      if (!this.enabled(level, pluginId === undefined ? (name ?? this.context) : `plugin:${pluginId}`)) return;
      const text = message instanceof Error ? message.message : typeof message === 'string' ? message : JSON.stringify(message);
      if (pluginId === undefined) return (name ? this.child(name) : this).log(level, text);
      const tag = `plugin:${pluginId}`;
      this.child(tag).log(level, name && name !== tag ? `${name}: ${text}` : text);
    };
    return {
      log: (m, ...rest) => write('log', m, rest),
      error: (m, ...rest) => write('error', m, rest),
      warn: (m, ...rest) => write('warn', m, rest),
      debug: (m, ...rest) => write('debug', m, rest),
      verbose: (m, ...rest) => write('verbose', m, rest),
    };
  }
}

const NEST_LEVELS = { log: 'debug', error: 'error', warn: 'warn', debug: 'debug', verbose: 'debug' } as const satisfies Record<string, LogLevel>;

/** What Nest itself logs while it builds an application: never a plugin's line, always debug. */
const NEST_CHATTER = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication', 'NestApplicationContext']);
