import type { PluginNames } from '../plugin-names';
import type { FileMap } from './backend-templates';

/** The unit spec: the service alone, through @nestjs/testing, its repository an in-memory stand-in. */
const serviceSpec = ({ id, pascal }: PluginNames) => `import { randomUUID } from 'node:crypto';
import { Test } from '@nestjs/testing';
import { getRepositoryToken } from '@nestjs/typeorm';
import type { FindOperator } from 'typeorm';
import { PluginSettings } from 'appnest';
import { ${pascal}Item } from './${id}-item.entity.js';
import { ${pascal}Service } from './${id}.service.js';

/** Stands in for the TypeORM repository: the rows live in an array. */
class InMemoryItems {
  readonly rows: ${pascal}Item[] = [];

  create(fields: Partial<${pascal}Item>): ${pascal}Item {
    return Object.assign(new ${pascal}Item(), fields);
  }

  async save(item: ${pascal}Item): Promise<${pascal}Item> {
    item.id ??= randomUUID();
    item.createdAt ??= new Date();
    this.rows.push(item);
    return item;
  }

  async find(options: { order?: { createdAt?: 'ASC' | 'DESC' } } = {}): Promise<${pascal}Item[]> {
    const direction = options.order?.createdAt === 'DESC' ? -1 : 1;
    return [...this.rows].sort((a, b) => direction * (a.createdAt.getTime() - b.createdAt.getTime()));
  }

  async delete(where: { createdAt: FindOperator<Date> }): Promise<{ affected: number }> {
    const doomed = this.rows.filter((row) => row.createdAt < where.createdAt.value);
    for (const row of doomed) this.rows.splice(this.rows.indexOf(row), 1);
    return { affected: doomed.length };
  }
}

describe('${pascal}Service', () => {
  let service: ${pascal}Service;
  let items: InMemoryItems;

  beforeEach(async () => {
    items = new InMemoryItems();
    const moduleRef = await Test.createTestingModule({
      providers: [
        ${pascal}Service,
        { provide: getRepositoryToken(${pascal}Item), useValue: items },
        { provide: PluginSettings, useValue: new PluginSettings({ readSettings: () => ({ retentionDays: 30 }) }, '${id}') },
      ],
    }).compile();
    service = moduleRef.get(${pascal}Service);
  });

  it('lists the items it created, newest first', async () => {
    await service.create('First item');
    const second = await service.create('Second item');
    second.createdAt = new Date(Date.now() + 1000);
    expect((await service.list()).map((item) => item.title)).toEqual(['Second item', 'First item']);
  });

  it('prunes the items older than the retentionDays setting', async () => {
    const now = new Date('2030-01-31T00:00:00Z');
    const old = await service.create('Old item');
    old.createdAt = new Date('2029-12-01T00:00:00Z');
    const recent = await service.create('Recent item');
    recent.createdAt = new Date('2030-01-30T00:00:00Z');
    expect(await service.prune(now)).toBe(1);
    expect(items.rows.map((item) => item.title)).toEqual(['Recent item']);
  });
});
`;

/** The e2e spec: a real host with the plugin enabled, called over HTTP with supertest. */
const e2eSpec = ({ id, pascal }: PluginNames) => `import { join } from 'node:path';
import request from 'supertest';
import { startTestHost, type TestHost } from 'appnest/testing';

interface ${pascal}Item {
  id: string;
  title: string;
}

// A real host on a temp folder and database (PGlite, or a new database on DATABASE_URL's server),
// with this plugin installed and enabled.
describe('${id}, enabled in a host', () => {
  let host: TestHost;
  beforeAll(async () => {
    host = await startTestHost({ plugins: [join(__dirname, '..')] });
  });
  afterAll(() => host?.stop());

  const admin = () => ({ authorization: \`Bearer \${host.adminToken}\` });

  it('creates an item and lists it', async () => {
    await request(host.url).post('/api/plugins/${id}/items').send({ title: 'First item' }).expect(201);
    const listed = await request(host.url).get('/api/plugins/${id}/items').expect(200);
    expect((listed.body as ${pascal}Item[]).map((item) => item.title)).toEqual(['First item']);
  });

  it('refuses an item without a title', async () => {
    await request(host.url).post('/api/plugins/${id}/items').send({}).expect(400);
  });

  it('schedules the prune task and validates its setting', async () => {
    const plugin = await request(host.url).get('/api/admin/plugins/${id}').set(admin()).expect(200);
    expect(plugin.body.tasks).toEqual(expect.arrayContaining([expect.objectContaining({ name: '${id}:prune' })]));
    await request(host.url).put('/api/admin/plugins/${id}/settings').set(admin()).send({ settings: { retentionDays: 0 } }).expect(400);
  });

  it('deletes every item with the clear action', async () => {
    await request(host.url).post('/api/plugins/${id}/items').send({ title: 'Doomed item' }).expect(201);
    const ran = await request(host.url).post('/api/admin/plugins/${id}/run').set(admin()).send({ action: 'clear' }).expect(200);
    expect(ran.body.result.deleted).toBeGreaterThanOrEqual(1);
    expect((await request(host.url).get('/api/plugins/${id}/items')).body).toEqual([]);
  });
});
`;

/** The Jest configuration, written out so an author can read and change it; \`appnest test\` runs it. */
const jestConfig = (hostRoot: string) => `// Jest for this plugin; \`appnest test\` runs it with the host's Jest.
// - TypeScript goes through @swc/jest with decorator metadata, which Nest's dependency injection reads.
// - Nest 12 is ESM-only: node_modules are turned into CommonJS too, all but PGlite (CommonJS already).
// - jest, @swc/jest, @nestjs/testing, supertest, the Nest packages and the appnest SDK are the
//   host's (APPNEST_HOST_ROOT, set by appnest test), so the plugin needs no npm install of its own.
const { join } = require('node:path');

const host = process.env.APPNEST_HOST_ROOT ?? ${JSON.stringify(hostRoot)};
const swcOptions = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
  swcrc: false,
};
const swc = [require.resolve('@swc/jest', { paths: [host] }), swcOptions];

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/**/*.spec.ts', '<rootDir>/**/*.e2e-spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/frontend/', '<rootDir>/web/'],
  transform: { '^.+\\\\.(t|j)sx?$': swc, '^.+\\\\.mjs$': swc },
  transformIgnorePatterns: ['/node_modules/@electric-sql/'],
  moduleFileExtensions: ['js', 'ts', 'mjs', 'cjs', 'json'],
  modulePaths: [join(host, 'node_modules')],
  moduleNameMapper: {
    '^appnest$': join(host, 'src', 'sdk', 'index.ts'),
    '^appnest/testing$': join(host, 'src', 'testing', 'testing.ts'),
    // Plugin code imports './x.js' (Node's ESM style); the file is x.ts.
    '^(\\\\.{1,2}/.*)\\\\.js$': '$1',
  },
  testTimeout: 60000,
};
`;

/** Jest tests of a new plugin: a unit spec of its service, an e2e spec against a real host, and the config. */
export function testFiles(names: PluginNames, hostRoot: string): FileMap {
  return {
    [`${names.id}.service.spec.ts`]: serviceSpec(names),
    [`test/${names.id}.e2e-spec.ts`]: e2eSpec(names),
    'jest.config.js': jestConfig(hostRoot),
  };
}
