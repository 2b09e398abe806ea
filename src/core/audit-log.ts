import type { DataSource, Repository } from 'typeorm';
import { AuditEntry } from '../database/audit-entry.entity';

export interface AuditInput {
  actor: string;
  ip?: string | null;
  action: string;
  pluginId?: string | null;
  outcome: AuditEntry['outcome'];
  detail?: Record<string, unknown> | null;
}

/** Who did what to which plugin, from where, and how it ended. */
export class AuditLog {
  private readonly repo: Repository<AuditEntry>;

  constructor(dataSource: DataSource) {
    this.repo = dataSource.getRepository(AuditEntry);
  }

  async record(entry: AuditInput): Promise<void> {
    await this.repo.insert({
      actor: entry.actor,
      ip: entry.ip ?? null,
      action: entry.action,
      pluginId: entry.pluginId ?? null,
      outcome: entry.outcome,
      detail: (entry.detail ?? null) as AuditEntry['detail'] & object,
    });
  }

  recent(limit = 200): Promise<AuditEntry[]> {
    return this.repo.find({ order: { id: 'DESC' }, take: limit });
  }
}
