import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { DiscoveredPlugin } from '../discovery/plugin-scanner';
import { FrontendManifest, FrontendManifestError } from '../frontend/frontend-manifest';
import { errorFinding, warningFinding, type Finding } from './doctor-finding';

const HINT = 'Rebuild the frontend with Vite (build.manifest: true) and ship the whole output folder.';

/** The frontend manifest: JSON, an entry, and every file it lists present in the frontend folder. */
export function checkManifest(plugin: DiscoveredPlugin, findings: Finding[]): void {
  const { id, frontendRoot, manifestPath } = plugin;
  if (!frontendRoot || !manifestPath) {
    const folder = join(plugin.backendRoot ?? plugin.dir, 'frontend');
    if (existsSync(folder) && statSync(folder).isDirectory()) {
      findings.push(warningFinding('PLG_MANIFEST_INVALID', id, `Plugin '${id}' has a frontend/ folder without manifest.json or .vite/manifest.json; its page is not served.`, HINT));
    }
    return;
  }
  const where = relative(plugin.dir, manifestPath);
  let manifest: FrontendManifest;
  try {
    manifest = FrontendManifest.parse(readFileSync(manifestPath, 'utf8'), `Plugin '${id}': ${where}`);
  } catch (err) {
    if (!(err instanceof FrontendManifestError)) throw err;
    findings.push(errorFinding('PLG_MANIFEST_INVALID', id, err.message, HINT));
    return;
  }
  for (const file of [...manifest.files].sort()) {
    if (!existsSync(join(frontendRoot, file))) {
      findings.push(errorFinding('PLG_MANIFEST_INVALID', id, `Plugin '${id}': ${where} lists '${file}', which is not in ${relative(plugin.dir, frontendRoot) || '.'}/.`, HINT));
    }
  }
}
