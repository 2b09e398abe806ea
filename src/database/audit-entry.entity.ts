import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One admin change or refused authentication. */
@Entity({ name: 'appnest_audit' })
export class AuditEntry {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id!: string;

  @CreateDateColumn({ type: 'timestamptz' })
  at!: Date;

  @Column({ type: 'varchar', length: 128 })
  actor!: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip!: string | null;

  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ name: 'plugin_id', type: 'varchar', length: 64, nullable: true })
  pluginId!: string | null;

  @Column({ type: 'varchar', length: 16 })
  outcome!: 'ok' | 'refused' | 'failed';

  @Column({ type: 'jsonb', nullable: true })
  detail!: Record<string, unknown> | null;
}
