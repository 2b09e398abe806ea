import type { ErrorCode } from '../errors/error-codes';
import type { PluginError } from '../errors/plugin-error';

export type Severity = 'error' | 'warning';

/** One problem the doctor found in one plugin. */
export interface Finding {
  code: ErrorCode;
  severity: Severity;
  /** The plugin id, or the folder name when no id could be read. */
  pluginId: string;
  message: string;
  hint?: string;
}

export const errorFinding = (code: ErrorCode, pluginId: string, message: string, hint?: string): Finding => ({ code, severity: 'error', pluginId, message, hint });

export const warningFinding = (code: ErrorCode, pluginId: string, message: string, hint?: string): Finding => ({ code, severity: 'warning', pluginId, message, hint });

export const findingOf = (err: PluginError, pluginId: string): Finding => errorFinding(err.code, pluginId, err.message, err.hint);

/** `CODE plugin: message`, with `warning:` before the message of a warning. */
export function formatFinding(finding: Finding): string {
  return `${finding.code} ${finding.pluginId}: ${finding.severity === 'warning' ? 'warning: ' : ''}${finding.message}`;
}
