import type { RollbackView } from '../contracts/plugin-view';
import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export interface StoredError {
  code: string;
  message: string;
}

/** What the host remembers about a plugin between starts. */
@Entity({ name: 'appnest_plugins' })
export class PluginRecord {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'varchar', length: 64, default: '0.0.0' })
  version!: string;

  @Column({ type: 'boolean', default: false })
  enabled!: boolean;

  @Column({ name: 'ever_enabled', type: 'boolean', default: false })
  everEnabled!: boolean;

  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  settings!: Record<string, unknown>;

  @Column({ type: 'varchar', length: 32, default: 'installed' })
  state!: string;

  @Column({ type: 'jsonb', nullable: true })
  error!: StoredError | null;

  /** The last rollback of the plugin (automatic or by hand), on any instance; null after an upgrade. */
  @Column({ name: 'last_rollback', type: 'jsonb', nullable: true })
  lastRollback!: RollbackView | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
