import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildZip, type TestZipEntry } from '../../src/archive/test-zip';

/**
 * A plugin 'vers' whose builds differ only in the version string (same length, same file sizes):
 * plugin.json names it and GET /api/plugins/vers/version serves it.
 */
export function versionedZip(version: string, extra: TestZipEntry[] = []): Buffer {
  const module = `import { Controller, Get, Module } from '@nestjs/common';

@Controller()
export class VersionController {
  @Get('version')
  version() {
    return { version: '${version}' };
  }
}

@Module({ controllers: [VersionController] })
export class VersModule {}
`;
  return buildZip([{ name: 'plugin.json', data: JSON.stringify({ id: 'vers', name: 'Vers', version }) }, { name: 'app.module.ts', data: module }, ...extra]);
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** The version plugin.json names in a plugins folder. */
export function versionOnDisk(pluginsDir: string, id = 'vers'): string {
  return (JSON.parse(readFileSync(join(pluginsDir, id, 'plugin.json'), 'utf8')) as { version: string }).version;
}
