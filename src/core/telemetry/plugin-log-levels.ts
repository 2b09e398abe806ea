import { PluginError } from '../../errors/plugin-error';
import type { HostLogger, LogLevel } from '../../logging/host-logger';

const LOG_LEVELS: LogLevel[] = ['error', 'warn', 'info', 'debug'];

/** Each plugin's log level, changed live from the admin page; not stored, a restart forgets it. */
export class PluginLogLevels {
  constructor(
    private readonly logger: HostLogger,
    private readonly hostLevel: LogLevel,
  ) {}

  /** The plugin's log level from now on (`null`: the host's again). */
  set(id: string, level: unknown): { id: string; logLevel: LogLevel } {
    if (level !== null && !LOG_LEVELS.includes(level as LogLevel)) {
      throw new PluginError('PLG_BAD_REQUEST', `${JSON.stringify(level) ?? 'Nothing'} is not a log level for plugin '${id}'.`, {
        pluginId: id,
        hint: `Send { "level": ${LOG_LEVELS.map((l) => `"${l}"`).join(' | ')} | null }.`,
        details: { field: 'level' },
      });
    }
    const tag = `plugin:${id}`;
    if (level === null) this.logger.levels.delete(tag);
    else this.logger.levels.set(tag, level as LogLevel);
    this.logger.info(`Plugin '${id}': log level ${level === null ? `${this.hostLevel} (the host's)` : (level as LogLevel)}`);
    return { id, logLevel: this.of(id) };
  }

  of(id: string): LogLevel {
    return this.logger.levels.get(`plugin:${id}`) ?? this.hostLevel;
  }

  /** An uninstalled plugin's level goes with it. */
  forget(id: string): void {
    this.logger.levels.delete(`plugin:${id}`);
  }
}
