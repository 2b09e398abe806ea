/** Injection token of the core (the long-lived AppnestHost) inside each generation. */
export const APPNEST_HOST = Symbol.for('appnest:host');
