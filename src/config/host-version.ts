/** The plugin API version this host offers; plugin.json "host" ranges are checked against it. */
export const HOST_API_VERSION = '1.0.0';
