import { DataSource } from 'typeorm';

/**
 * The host's one DataSource. Its entity set changes while it runs: a plugin's entities join when
 * the plugin starts and leave when it stops, and the metadata is rebuilt in place (queries in
 * flight keep the metadata they started with).
 */
export class SharedDataSource extends DataSource {
  private hostEntities: Function[] = [];
  private readonly pluginEntities = new Map<string, Function[]>();

  setHostEntities(entities: Function[]): void {
    this.hostEntities = entities;
    this.setOptions({ entities });
  }

  /** Sets the entities of several plugins (an empty list removes a plugin's) with one metadata rebuild. */
  async setPluginEntities(changes: Map<string, Function[]>): Promise<void> {
    let changed = false;
    for (const [pluginId, entities] of changes) {
      if (entities.length === 0 && !this.pluginEntities.has(pluginId)) continue;
      changed = true;
      if (entities.length) this.pluginEntities.set(pluginId, entities);
      else this.pluginEntities.delete(pluginId);
    }
    if (!changed) return;
    this.setOptions({ entities: [...this.hostEntities, ...[...this.pluginEntities.values()].flat()] });
    await this.buildMetadatas();
  }
}
