/** SPEC section 5. */
export type PluginState =
  | 'installed'
  | 'enabled'
  | 'active'
  | 'disabled'
  | 'failed'
  | 'invalid'
  | 'incompatible'
  | 'missing';
