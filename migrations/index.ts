import { HostSchema1763683200000 } from './1763683200000-host-schema';
import { ClusterTables1763769600000 } from './1763769600000-cluster-tables';
import { ArchiveChunks1764720000000 } from './1764720000000-archive-chunks';
import { JobTables1765100000000 } from './1765100000000-job-tables';
import { PreviousArchives1765500000000 } from './1765500000000-previous-archives';

/** The host's own migrations, in order. */
export const HOST_MIGRATIONS = [HostSchema1763683200000, ClusterTables1763769600000, ArchiveChunks1764720000000, JobTables1765100000000, PreviousArchives1765500000000];
