import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const guide = readFileSync(join(ROOT, 'docs', 'frontend-plugins.md'), 'utf8');

/** A line without its trailing `//` comment, trimmed; a `//` inside a string is kept. */
function code(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '/' && line[i + 1] === '/' && i > 0) return line.slice(0, i).trim();
  }
  return line.trim();
}

/** The sample's code lines that are not found, in order, in the source. */
function missingLines(sample: string[], source: string): string[] {
  const lines = source.split('\n').map(code);
  const missing: string[] = [];
  let at = 0;
  for (const line of sample.map(code).filter((l) => l && !l.startsWith('//'))) {
    const found = lines.indexOf(line, at);
    if (found < 0) missing.push(line);
    else at = found + 1;
  }
  return missing;
}

describe('docs/frontend-plugins.md', () => {
  const samples = [...guide.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1].replace(/\n$/, '').split('\n'));

  it('takes every TypeScript sample, line for line, from the notes example', () => {
    expect(samples.length).toBeGreaterThanOrEqual(3);
    for (const [first, ...rest] of samples) {
      const file = /^\/\/ from (.+)$/.exec(first)?.[1];
      expect([first, file ? 'marked' : 'not marked']).toEqual([first, 'marked']);
      expect([file, missingLines(rest, readFileSync(join(ROOT, file!), 'utf8'))]).toEqual([file, []]);
    }
  });

  it('documents every member of the host object and of a plugin definition', () => {
    const types = readFileSync(join(ROOT, 'web', 'src', 'sdk', 'types.ts'), 'utf8');
    const membersOf = (name: string) => {
      const body = new RegExp(`export interface ${name} \\{([\\s\\S]*?)\\n\\}`).exec(types)![1];
      return [...body.matchAll(/^ {2}(?:readonly )?(\w+)[?(:<]/gm)].map((m) => m[1]);
    };
    for (const member of membersOf('PluginHost')) expect([member, guide.includes(`host.${member}`)]).toEqual([member, true]);
    for (const member of membersOf('PluginDefinition')) expect([member, guide.includes(`\`${member}`)]).toEqual([member, true]);
  });
});
