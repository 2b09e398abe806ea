import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PATH_METADATA, METHOD_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { COMMANDS } from './cli/commands';
import { AdminPluginsController } from './http/admin-plugins.controller';
import { PublicController } from './http/public.controller';
import { MetricsController } from './http/metrics.controller';
import { HealthController } from './http/health.controller';
import { PluginLogsController } from './http/plugin-logs.controller';
import { scaffoldPlugin } from './scaffold/plugin-scaffold';

const ROOT = join(__dirname, '..');
const DOCS = join(ROOT, 'docs');
// Written and checked by their own owners: the error catalogue (error-codes.spec.ts) and the frontend guide.
const CHECKED_ELSEWHERE = new Set(['errors.md', 'frontend-plugins.md']);
const read = (name: string) => readFileSync(join(DOCS, name), 'utf8');
const docs = readdirSync(DOCS).filter((f) => f.endsWith('.md') && !CHECKED_ELSEWHERE.has(f));

interface Sample {
  doc: string;
  lang: string;
  lines: string[];
}

function samples(doc: string): Sample[] {
  return [...read(doc).matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ doc, lang: m[1], lines: m[2].replace(/\n$/, '').split('\n') }));
}

/** A sample's source: a repository file, or a file of the plugin `appnest new demo --frontend` writes. */
function sourceOf(marker: string, scaffolded: string): string {
  const generated = /^appnest new demo: (.+)$/.exec(marker);
  return readFileSync(generated ? join(scaffolded, 'demo', generated[1]) : join(ROOT, marker), 'utf8');
}

/** The lines missing from `source`, in order: each sample line (trimmed) must follow the previous one's match. */
function missingLines(sample: string[], source: string): string[] {
  const lines = source.split('\n').map((l) => l.trim());
  const missing: string[] = [];
  let at = 0;
  for (const line of sample.map((l) => l.trim()).filter((l) => l && l !== '// ...')) {
    const found = lines.indexOf(line, at);
    if (found < 0) missing.push(line);
    else at = found + 1;
  }
  return missing;
}

describe('the docs', () => {
  let scaffolded: string;
  beforeAll(() => {
    scaffolded = mkdtempSync(join(tmpdir(), 'appnest-docs-'));
    scaffoldPlugin({ id: 'demo', parentDir: scaffolded, frontend: true, now: 1763683300000 });
  });
  afterAll(() => rmSync(scaffolded, { recursive: true, force: true }));

  it('take every TypeScript sample, line for line, from an example plugin, a test fixture or a scaffolded plugin', () => {
    const ts = docs.flatMap(samples).filter((s) => s.lang === 'ts');
    expect(ts.length).toBeGreaterThan(10);
    for (const { doc, lines } of ts) {
      const marker = /^\/\/ from (.+)$/.exec(lines[0])?.[1];
      expect([doc, lines[0], marker ? 'marked' : 'not marked']).toEqual([doc, lines[0], 'marked']);
      expect([doc, marker, missingLines(lines.slice(1), sourceOf(marker!, scaffolded))]).toEqual([doc, marker, []]);
    }
  });

  it('hold valid JSON in every json sample', () => {
    for (const { doc, lines } of docs.flatMap(samples).filter((s) => s.lang === 'json')) {
      let error = '';
      try {
        JSON.parse(lines.join('\n'));
      } catch (err) {
        error = (err as Error).message;
      }
      expect([doc, error]).toEqual([doc, '']);
    }
  });

  it('link only to docs that exist', () => {
    const all = new Set(readdirSync(DOCS));
    for (const doc of docs) {
      for (const [, target] of read(doc).matchAll(/\]\(([a-z0-9-]+\.md)(?:#[^)]*)?\)/g)) expect([doc, target, all.has(target)]).toEqual([doc, target, true]);
    }
  });

  it('document every variable src/config/host-config.ts reads in configuration.md', () => {
    const variables = [...readFileSync(join(ROOT, 'src/config/host-config.ts'), 'utf8').matchAll(/env\.([A-Z_]+)/g)].map((m) => m[1]);
    expect(variables.length).toBeGreaterThan(8);
    const doc = read('configuration.md');
    for (const name of new Set(variables)) expect([name, doc.includes(`\`${name}\``)]).toEqual([name, true]);
  });

  it('document every endpoint of the admin and public controllers in http-api.md, with a curl example', () => {
    const doc = read('http-api.md');
    for (const controller of [AdminPluginsController, PublicController, MetricsController, HealthController, PluginLogsController]) {
      const base = Reflect.getMetadata(PATH_METADATA, controller) as string;
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as unknown as Record<string, Function>)[name];
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (method === undefined || name === 'constructor') continue;
        const path = `/${base}/${Reflect.getMetadata(PATH_METADATA, handler) as string}`.replace(/\/+$/, '').replace(/:([a-z]+)/g, '<$1>');
        const heading = `## \`${RequestMethod[method]} ${path}\``;
        expect([heading, doc.includes(`${heading}\n`)]).toEqual([heading, true]);
        const section = doc.slice(doc.indexOf(`${heading}\n`)).split(/^## /m)[1];
        expect([heading, /```sh\n[^`]*curl /.test(section)]).toEqual([heading, true]);
      }
    }
  });

  it('list every export of the SDK entry in sdk.md', () => {
    const entry = readFileSync(join(ROOT, 'src/sdk/index.ts'), 'utf8').replace(/\/\*\*[\s\S]*?\*\//g, '');
    const names = [...entry.matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((m) =>
      m[1]
        .split(',')
        .map((n) => n.replace(/^\s*type\s+/, '').trim())
        .filter(Boolean),
    );
    expect(names.length).toBeGreaterThan(15);
    const doc = read('sdk.md');
    for (const name of names) expect([name, doc.includes(`\`${name}\``)]).toEqual([name, true]);
  });

  it('document every CLI command in cli.md', () => {
    const doc = read('cli.md');
    for (const [name, command] of Object.entries(COMMANDS)) expect([name, doc.includes(`### appnest ${command.usage}\n`)]).toEqual([name, true]);
  });
});
