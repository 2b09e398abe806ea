import { Inject, Injectable, Scope } from '@nestjs/common';
import { INQUIRER } from '@nestjs/core';
import { ownerOf } from '../core/class-owners';
import { APPNEST_HOST } from '../http/host-tokens';

/** What the settings service needs from the host. */
export interface SettingsSource {
  readSettings(pluginId: string): Record<string, unknown>;
}

/**
 * A plugin's settings, defaults merged, always the current values (a change made by an admin is
 * seen without restart). Inject it into any provider of the plugin.
 */
@Injectable({ scope: Scope.TRANSIENT })
export class PluginSettings {
  readonly pluginId: string;

  constructor(
    @Inject(APPNEST_HOST) private readonly host: SettingsSource,
    @Inject(INQUIRER) inquirer: object | undefined,
  ) {
    const owner = ownerOf(inquirer?.constructor);
    if (!owner) throw new Error('PluginSettings can only be injected into a plugin provider.');
    this.pluginId = owner;
  }

  /** Every setting, defaults merged. */
  all(): Record<string, unknown> {
    return this.host.readSettings(this.pluginId);
  }

  get<T = unknown>(key: string): T {
    return this.all()[key] as T;
  }
}
