/** Which plugin defined a class: lets host services injected into plugin code know whom they serve. */
const owners = new WeakMap<Function, string>();

export function registerOwnedClasses(pluginId: string, classes: Iterable<Function>): void {
  for (const cls of classes) owners.set(cls, pluginId);
}

export function ownerOf(cls: Function | undefined): string | undefined {
  return cls ? owners.get(cls) : undefined;
}
