/** The names a new plugin's files and classes derive from its id. */
export interface PluginNames {
  id: string;
  /** `my-notes` → `MyNotes` */
  pascal: string;
  /** `my-notes` → `My notes` */
  title: string;
  /** The entity's table, prefixed with the id as the host expects: `my_notes_item`. */
  table: string;
}

export function pluginNames(id: string): PluginNames {
  const words = id.split(/[-_]+/).filter(Boolean);
  const pascal = words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
  const title = words.join(' ');
  return { id, pascal, title: title[0].toUpperCase() + title.slice(1), table: `${id.replace(/-/g, '_')}_item` };
}
