import type { PluginDefinition } from '@appnest/frontend';

const isFunction = (value: unknown): value is Function => typeof value === 'function';
const isText = (value: unknown): value is string => typeof value === 'string';

function listOf(value: unknown, field: string, id: string): Record<string, unknown>[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => !item || typeof item !== 'object')) {
    throw new Error(`Plugin '${id}': "${field}" must be a list of objects.`);
  }
  return value as Record<string, unknown>[];
}

/** Checks the default export of a plugin's entry; the error names the plugin and the field. */
export function checkDefinition(value: unknown, id: string): PluginDefinition {
  if (!value || typeof value !== 'object') {
    throw new Error(`Plugin '${id}': the entry has no default export describing the plugin; write export default definePlugin({ pages: [...] }).`);
  }
  const definition = value as Record<string, unknown>;
  listOf(definition.pages, 'pages', id).forEach((page, i) => {
    if (!isText(page.route) || !isText(page.title) || !isFunction(page.mount)) {
      throw new Error(`Plugin '${id}': pages[${i}] needs a "route", a "title" and a "mount(el, host)" function.`);
    }
  });
  listOf(definition.navigation, 'navigation', id).forEach((item, i) => {
    if (!isText(item.route) || !isText(item.title)) throw new Error(`Plugin '${id}': navigation[${i}] needs a "title" and a "route".`);
  });
  listOf(definition.slots, 'slots', id).forEach((slot, i) => {
    if (!isText(slot.slot) || !isFunction(slot.mount)) throw new Error(`Plugin '${id}': slots[${i}] needs a "slot" name and a "mount(el, host)" function.`);
  });
  if (definition.setup !== undefined && !isFunction(definition.setup)) throw new Error(`Plugin '${id}': "setup" must be a function.`);
  return definition as PluginDefinition;
}
