'use strict';
// The baseline: the same N plugin modules as one ordinary Nest application, compiled ahead of time
// with swc (decorator metadata on), with its own TypeORM forRoot listing the N entities and
// migrations, ScheduleModule.forRoot, and express.static over the plugins' frontend folders.
const { cpSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } = require('node:fs');
const { dirname, join, relative } = require('node:path');
const { transformFileSync } = require('@swc/core');

const REPO = join(__dirname, '..');

const SWC_OPTIONS = {
  jsc: {
    target: 'es2022',
    keepClassNames: true,
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
  },
  module: { type: 'commonjs', strict: false },
  swcrc: false,
  configFile: false,
};

function appModuleSource(plugins) {
  const lines = [
    "import { Module, type DynamicModule } from '@nestjs/common';",
    "import { RouterModule } from '@nestjs/core';",
    "import { TypeOrmModule } from '@nestjs/typeorm';",
    "import { ScheduleModule } from '@nestjs/schedule';",
  ];
  for (const p of plugins) {
    const migration = readdirSync(join(p.dir, 'migrations'))[0].replace(/\.ts$/, '');
    lines.push(`import { ${p.moduleClass} } from './modules/${p.id}/app.module.js';`);
    lines.push(`import { ${p.entityClass} } from './modules/${p.id}/${p.id}-item.entity.js';`);
    lines.push(`import { ${p.migrationClass} } from './modules/${p.id}/migrations/${migration}.js';`);
  }
  const list = (key) => plugins.map((p) => p[key]).join(', ');
  return `${lines.join('\n')}

@Module({})
export class AppModule {
  static forRoot(url: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres', url, extra: { max: 10 }, logging: false, synchronize: false,
          entities: [${list('entityClass')}],
          migrations: [${list('migrationClass')}],
          migrationsRun: true,
        }),
        ScheduleModule.forRoot(),
        ${list('moduleClass')},
        RouterModule.register([${plugins.map((p) => `{ path: 'api/plugins/${p.id}', module: ${p.moduleClass} }`).join(', ')}]),
      ],
    };
  }
}
`;
}

// Same database kinds as the host: DATABASE_URL, else PGlite in a folder served on a loopback port.
const MAIN_SOURCE = `import 'reflect-metadata';
import express from 'express';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

async function embedded(dataDir: string) {
  const { PGlite } = require('@electric-sql/pglite');
  const { PGLiteSocketServer } = require('@electric-sql/pglite-socket');
  const db = await PGlite.create({ dataDir });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 64 });
  await server.start();
  const port = server.getServerConn().split(':')[1];
  return { url: \`postgres://postgres:postgres@127.0.0.1:\${port}/postgres\`, stop: async () => { await server.stop(); await db.close(); } };
}

async function main() {
  const db = process.env.DATABASE_URL ? { url: process.env.DATABASE_URL, stop: async () => undefined } : await embedded(process.env.STATIC_PGLITE_DIR!);
  const app = await NestFactory.create(AppModule.forRoot(db.url), { logger: ['error', 'warn'] });
  app.use('/static-assets', express.static(process.env.STATIC_ASSETS_DIR!));
  await app.listen(Number(process.env.PORT));
  const stop = () => app.close().then(() => db.stop()).then(() => process.exit(0), () => process.exit(1));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack || err) + '\\n');
  process.exit(1);
});
`;

function compileTree(srcDir, outDir) {
  for (const name of readdirSync(srcDir)) {
    const from = join(srcDir, name);
    if (statSync(from).isDirectory()) {
      compileTree(from, join(outDir, name));
    } else if (name.endsWith('.ts')) {
      const { code } = transformFileSync(from, { ...SWC_OPTIONS, filename: from });
      mkdirSync(outDir, { recursive: true });
      writeFileSync(join(outDir, name.replace(/\.ts$/, '.js')), code);
    }
  }
}

/**
 * Writes the static app's sources under `root/src` (the plugin folders copied as modules),
 * compiles them to `root/dist`, links the repository's node_modules; returns the entry file.
 */
function buildStaticApp(root, plugins) {
  const src = join(root, 'src');
  for (const p of plugins) {
    cpSync(p.dir, join(src, 'modules', p.id), { recursive: true, filter: (f) => !relative(p.dir, f).startsWith('frontend') && !f.endsWith('plugin.json') });
  }
  writeFileSync(join(src, 'app.module.ts'), appModuleSource(plugins));
  writeFileSync(join(src, 'main.ts'), MAIN_SOURCE);
  const started = process.hrtime.bigint();
  compileTree(src, join(root, 'dist'));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'), 'dir');
  return { entry: join(root, 'dist', 'main.js'), compileMs: Number(process.hrtime.bigint() - started) / 1e6, assetsDir: dirname(plugins[0].dir) };
}

module.exports = { buildStaticApp };
