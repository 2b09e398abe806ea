import { HostSchema1763683200000 } from './1763683200000-host-schema';

/** The host's own migrations, in order. */
export const HOST_MIGRATIONS = [HostSchema1763683200000];
