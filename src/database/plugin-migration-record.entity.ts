import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The ledger of applied plugin migrations: one row per plugin and migration name. */
@Entity({ name: 'appnest_plugin_migrations' })
export class PluginMigrationRecord {
  @PrimaryColumn({ name: 'plugin_id', type: 'varchar', length: 64 })
  pluginId!: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  name!: string;

  @Column({ type: 'varchar', length: 64 })
  checksum!: string;

  @Column({ name: 'applied_at', type: 'timestamptz', default: () => 'now()' })
  appliedAt!: Date;
}
