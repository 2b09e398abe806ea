import { PluginError } from '../../errors/plugin-error';
import { HOST_EVENTS } from '../../sdk/host-events';
import { mergeSecrets } from '../../settings/setting-secrets';
import { validateSettings } from '../../settings/validate-settings';
import { withDefaults } from '../../settings/with-defaults';
import type { PluginRegistry } from '../registry/plugin-registry';
import type { Actor, AuditLog } from './audit-log';

/** A plugin's settings: read with their defaults, validated and stored on a change. */
export class PluginSettingsEditor {
  constructor(
    private readonly deps: {
      registry: PluginRegistry;
      audit: AuditLog;
      /** Tells the running plugins (settingsChanged). */
      emit: (event: string, payload: unknown) => Promise<void>;
    },
  ) {}

  /** A plugin's settings with defaults merged (defaults are never written). */
  read(id: string): Record<string, unknown> {
    const entry = this.deps.registry.require(id);
    return withDefaults(entry.discovered?.descriptor.settings ?? [], entry.record.settings);
  }

  /** Validates and replaces a plugin's stored settings; the running plugin sees them on its next read. */
  async save(id: string, incoming: unknown, actor: Actor): Promise<void> {
    const entry = this.deps.registry.require(id);
    const schema = entry.discovered?.descriptor.settings ?? [];
    let settings: Record<string, unknown>;
    try {
      settings = validateSettings(schema, mergeSecrets(schema, incoming, entry.record.settings), id);
    } catch (err) {
      await this.deps.audit.record({ ...actor, action: 'settings', pluginId: id, outcome: 'refused', detail: { code: (err as PluginError).code } });
      throw err;
    }
    await this.deps.registry.setSettings(id, settings);
    await this.deps.audit.record({ ...actor, action: 'settings', pluginId: id, outcome: 'ok', detail: { keys: Object.keys(settings) } });
    await this.deps.emit(HOST_EVENTS.settingsChanged, { pluginId: id });
  }
}
