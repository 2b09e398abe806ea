import type { DataSource, EntityManager, Repository } from 'typeorm';
import { AuditEntry } from '../../database/audit-entry.entity';

/** Who asks for a change: written to the audit with it. */
export interface Actor {
  actor: string;
  ip?: string | null;
}

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

  /** Writes one row (in the caller's transaction when `manager` is given); strings are cut to their columns. */
  async record(entry: AuditInput, manager?: EntityManager): Promise<void> {
    const repo = manager ? manager.getRepository(AuditEntry) : this.repo;
    await repo.insert({
      actor: entry.actor.slice(0, 128),
      ip: entry.ip?.slice(0, 64) ?? null,
      action: entry.action.slice(0, 64),
      pluginId: entry.pluginId?.slice(0, 64) ?? null,
      outcome: entry.outcome,
      detail: (entry.detail ?? null) as AuditEntry['detail'] & object,
    });
  }

  recent(limit = 200): Promise<AuditEntry[]> {
    return this.repo.find({ order: { id: 'DESC' }, take: limit });
  }
}
