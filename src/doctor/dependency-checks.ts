import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import intersects from 'semver/ranges/intersects';
import validRange from 'semver/ranges/valid';
import type { DiscoveredPlugin } from '../discovery/plugin-scanner';
import { SHARED_PACKAGES } from '../loader/shared-modules';
import { errorFinding, type Finding } from './doctor-finding';

/** The version of a shared package the host runs. */
function hostVersionOf(name: string): string | undefined {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return undefined;
  }
}

/**
 * A plugin always gets the host's copy of a shared package: a range in its package.json that the
 * host's major does not meet means code written for another major.
 */
export function checkSharedPackages(plugin: DiscoveredPlugin, findings: Finding[]): void {
  const file = join(plugin.dir, 'package.json');
  if (!existsSync(file)) return;
  let manifest: Record<string, Record<string, string> | undefined>;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as typeof manifest;
  } catch {
    return; // npm reports a broken package.json; the host does not read it
  }
  const wanted = { ...manifest.peerDependencies, ...manifest.devDependencies, ...manifest.dependencies };
  for (const name of SHARED_PACKAGES) {
    const range = wanted[name];
    const version = hostVersionOf(name);
    if (!range || !version || !validRange(range)) continue;
    const major = version.split('.')[0];
    if (intersects(range, `^${major}.0.0-0 || ${major}.x`, { includePrerelease: true })) continue;
    findings.push(
      errorFinding(
        'PLG_SHARED_PACKAGE_VERSION',
        plugin.id,
        `Plugin '${plugin.id}' asks for ${name} ${range}, but the host shares ${name} ${version} with every plugin.`,
        `Build the plugin against ${name} ^${major}.0.0 (set "${name}": "^${major}.0.0" in its package.json).`,
      ),
    );
  }
}
