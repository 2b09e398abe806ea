import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildZip, type TestZipEntry } from '../../src/archive/test-zip';

/**
 * A plugin 'vers' whose builds differ only in the version string (same length, same file sizes):
 * plugin.json names it and GET /api/plugins/vers/version serves it.
 */
export function versionedZip(version: string, extra: TestZipEntry[] = [], options: { health?: 'ok' | 'failed'; work?: 'ok' | 'fails' } = {}): Buffer {
  const health = options.health
    ? `
@Injectable()
export class VersHealth {
  @HealthCheck({ timeoutMs: 500 })
  check() {
    return ${options.health === 'ok' ? 'true' : `{ status: 'failed', reason: 'the upstream of vers ${version} answers 500' }`};
  }
}
`
    : '';
  // GET /work: answers, or fails with a 500 (a version whose error rate rolls it back).
  const work = options.work
    ? `
  @Get('work')
  work() {
    ${options.work === 'ok' ? `return { version: '${version}' };` : `throw new InternalServerErrorException('vers ${version} cannot work');`}
  }
`
    : '';
  const module = `import { Controller, Get, ${options.health ? 'Injectable, ' : ''}${options.work ? 'InternalServerErrorException, ' : ''}Module } from '@nestjs/common';
${options.health ? "import { HealthCheck } from 'appnest';\n" : ''}
@Controller()
export class VersionController {
  @Get('version')
  version() {
    return { version: '${version}' };
  }
${work}}

${health}
@Module({ controllers: [VersionController]${options.health ? ', providers: [VersHealth]' : ''} })
export class VersModule {}
`;
  return buildZip([{ name: 'plugin.json', data: JSON.stringify({ id: 'vers', name: 'Vers', version }) }, { name: 'app.module.ts', data: module }, ...extra]);
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** The version plugin.json names in a plugins folder. */
export function versionOnDisk(pluginsDir: string, id = 'vers'): string {
  return (JSON.parse(readFileSync(join(pluginsDir, id, 'plugin.json'), 'utf8')) as { version: string }).version;
}
