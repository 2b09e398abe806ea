/** Facts about the running host, injectable into any plugin provider. */
export class HostInfo {
  constructor(
    /** The plugin API version plugin.json "host" ranges are checked against. */
    readonly apiVersion: string,
    /** 'embedded' (PGlite) or 'postgres'. */
    readonly database: 'embedded' | 'postgres',
    /** This host process, unique among the instances sharing a database. */
    readonly instanceId: string = 'local',
  ) {}
}
