/** Injection token of the core (the long-lived AppnestHost) in the host's own Nest application. */
export const APPNEST_HOST = Symbol.for('appnest:host');
