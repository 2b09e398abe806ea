import { AuditEntry } from './audit-entry.entity';
import { PluginMigrationRecord } from './plugin-migration-record.entity';
import { PluginRecord } from './plugin-record.entity';

/** The host's own tables; plugins may not claim these names. */
export const HOST_ENTITIES = [PluginRecord, PluginMigrationRecord, AuditEntry];
