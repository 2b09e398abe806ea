/** What the settings service needs from the host. */
export interface SettingsSource {
  readSettings(pluginId: string): Record<string, unknown>;
}

/**
 * A plugin's settings, defaults merged, always the current values: a change saved by an admin is
 * seen on the next read, without a restart. Inject it into any provider of the plugin.
 */
export class PluginSettings {
  constructor(
    private readonly source: SettingsSource,
    readonly pluginId: string,
  ) {}

  /** Every setting, defaults merged. */
  all(): Record<string, unknown> {
    return this.source.readSettings(this.pluginId);
  }

  get<T = unknown>(key: string): T {
    return this.all()[key] as T;
  }
}
