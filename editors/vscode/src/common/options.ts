// The "agentls" settings as the server reads them (initializationOptions and the
// workspace/configuration section): validated here so a typo becomes a default, not a crash.

export const SEVERITY_KINDS = ['conflict', 'overlap', 'ownership', 'research-write', 'trunk-conflict', 'semantic'] as const;
export type SeverityKind = (typeof SEVERITY_KINDS)[number];
export type Severity = 'error' | 'warning' | 'information' | 'hint';
const SEVERITIES: readonly Severity[] = ['error', 'warning', 'information', 'hint'];

export const DEFAULT_SEVERITY: Record<SeverityKind, Severity> = {
  conflict: 'warning',
  overlap: 'information',
  ownership: 'warning',
  'research-write': 'warning',
  'trunk-conflict': 'warning',
  semantic: 'warning',
};

export interface ServerOptions {
  severity: Record<SeverityKind, Severity>;
  ignore: string[];
  trunk: string | null;
  logLevel: string;
}

const LOG_LEVELS = ['debug', 'info', 'warning', 'error'];

/** Build the server options from raw setting values (`get('severity.conflict')` and so on). */
export function serverOptions(get: (key: string) => unknown): ServerOptions {
  const severity = { ...DEFAULT_SEVERITY };
  for (const kind of SEVERITY_KINDS) {
    const value = get(`severity.${kind}`);
    if (typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value)) {
      severity[kind] = value as Severity;
    }
  }
  const ignoreRaw = get('ignore');
  const ignore = Array.isArray(ignoreRaw) ? ignoreRaw.filter((g): g is string => typeof g === 'string' && g !== '') : [];
  const trunkRaw = get('trunk');
  const trunk = typeof trunkRaw === 'string' && trunkRaw.trim() !== '' ? trunkRaw.trim() : null;
  const levelRaw = get('logLevel');
  const logLevel = typeof levelRaw === 'string' && LOG_LEVELS.includes(levelRaw) ? levelRaw : 'info';
  return { severity, ignore, trunk, logLevel };
}

/** `agentls.server.path` as a clean command array (a lone string is accepted too). */
export function serverPathSetting(raw: unknown): string[] {
  if (typeof raw === 'string') {
    return raw.trim() ? [raw.trim()] : [];
  }
  if (Array.isArray(raw)) {
    return raw.filter((part): part is string => typeof part === 'string' && part !== '');
  }
  return [];
}
