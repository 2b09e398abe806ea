import { basename } from 'node:path';
import satisfies from 'semver/functions/satisfies';
import validRange from 'semver/ranges/valid';
import { HOST_API_VERSION } from '../config/host-version';
import { readPluginFolder, type DiscoveredPlugin } from '../discovery/plugin-scanner';
import { PluginError } from '../errors/plugin-error';
import { errorFinding, findingOf, warningFinding, type Finding } from './doctor-finding';

/** Reads the folder as discovery does: plugin.json, id, backend marker or frontend manifest, host range. */
export function checkDescriptor(dir: string, findings: Finding[]): DiscoveredPlugin | undefined {
  let plugin: DiscoveredPlugin;
  try {
    plugin = readPluginFolder(dir, 'plugins');
  } catch (err) {
    if (!(err instanceof PluginError)) throw err;
    findings.push(findingOf(err, basename(dir)));
    return undefined;
  }
  if (plugin.error) findings.push(findingOf(plugin.error, plugin.id));
  if (plugin.legacy) {
    findings.push(
      warningFinding(
        'PLG_DESCRIPTOR_MISSING',
        plugin.id,
        `Plugin '${plugin.id}' has no plugin.json: its id comes from the folder name and its version is 0.0.0.`,
        'Add a plugin.json with id, name and version.',
      ),
    );
  }
  const range = plugin.descriptor.host;
  if (range && validRange(range) && !satisfies(HOST_API_VERSION, range)) {
    findings.push(
      errorFinding('PLG_HOST_INCOMPATIBLE', plugin.id, `Plugin '${plugin.id}' needs host ${range} but this host is ${HOST_API_VERSION}.`, `Set "host" to a range that includes ${HOST_API_VERSION}.`),
    );
  }
  return plugin;
}
