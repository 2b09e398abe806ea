/** Injection token of the core (the core's admin API, AdminApi) in the host's own Nest application. */
export const APPNEST_HOST = Symbol.for('appnest:host');
