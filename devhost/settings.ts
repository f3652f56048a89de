// Settings as Core Tools reads them: local.settings.json `Values` become environment variables only where the
// variable is not already set (Core Tools StartHostAction.cs, "Skipping '<key>' from local settings as it's already
// defined in current environment variables"); host.json gives the HTTP route prefix (default "api").
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export class StartupError extends Error {
  override name = 'StartupError';
}

export interface LocalSettingsResult {
  path: string;
  found: boolean;
  applied: string[];
  skipped: string[];
}

/**
 * Why `text` is not JSON, without quoting it: V8's SyntaxError messages quote the text around the error, which in
 * local.settings.json or the keys file may be a key or a connection string. Gives a line and column instead.
 */
export function jsonProblem(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (err) {
    const pos = /position (\d+)/.exec((err as Error).message)?.[1];
    if (pos === undefined) return 'it is not valid JSON';
    const before = text.slice(0, Number(pos)).split('\n');
    return `it is not valid JSON (line ${before.length}, column ${before[before.length - 1].length + 1})`;
  }
}

/** Parses a JSON file, failing with a StartupError that names the file but never quotes its contents. */
export function readJsonFile(path: string, what: string): unknown {
  const text = readFileSync(path, 'utf8');
  const problem = jsonProblem(text);
  if (problem) throw new StartupError(`${what} at ${path}: ${problem}`);
  return JSON.parse(text) as unknown;
}

/** Reads local.settings.json (if any) into `env`, never replacing a variable that is already set. */
export function applyLocalSettings(
  appDir: string,
  env: NodeJS.ProcessEnv = process.env,
): LocalSettingsResult {
  const path = join(appDir, 'local.settings.json');
  const result: LocalSettingsResult = { path, found: false, applied: [], skipped: [] };
  if (!existsSync(path)) return result;
  result.found = true;
  const doc = readJsonFile(path, 'local.settings.json') as {
    IsEncrypted?: boolean;
    Values?: Record<string, unknown>;
  };
  if (doc.IsEncrypted === true) {
    throw new StartupError(
      `${path} is encrypted (IsEncrypted: true); the dev host reads only plain settings`,
    );
  }
  for (const [key, raw] of Object.entries(doc.Values ?? {})) {
    if (raw !== null && typeof raw === 'object') {
      throw new StartupError(`local.settings.json Values.${key} must be a string, number or boolean`);
    }
    if (env[key] !== undefined) {
      result.skipped.push(key);
      continue;
    }
    env[key] = raw === null ? '' : String(raw);
    result.applied.push(key);
  }
  return result;
}

export interface HostConfig {
  routePrefix: string;
}

export function readHostJson(appDir: string): HostConfig {
  const path = join(appDir, 'host.json');
  if (!existsSync(path)) {
    throw new StartupError(`host.json not found in ${appDir}: a Functions app needs one at its root`);
  }
  const doc = readJsonFile(path, 'host.json') as {
    version?: string;
    extensions?: { http?: { routePrefix?: unknown } };
  };
  if (doc.version !== '2.0') {
    throw new StartupError(`host.json "version" must be "2.0" (found ${JSON.stringify(doc.version)})`);
  }
  const prefix = doc.extensions?.http?.routePrefix;
  if (prefix !== undefined && typeof prefix !== 'string') {
    throw new StartupError('host.json extensions.http.routePrefix must be a string');
  }
  // "Use an empty string to remove the default prefix" (Learn, HTTP trigger host.json settings).
  return { routePrefix: (prefix ?? 'api').replace(/^\/+|\/+$/g, '') };
}

/**
 * Resolves `%NAME%` tokens from app settings the way the WebJobs SDK resolves binding expressions. A missing setting
 * is an indexing error; the real host words it "'%NAME%' does not resolve to a value."
 */
export function resolveSettingTokens(value: string, env: NodeJS.ProcessEnv = process.env): string {
  return value.replace(/%([^%]+)%/g, (token, name: string) => {
    const v = env[name];
    if (v === undefined || v === '')
      throw new StartupError(`'${token}' does not resolve to a value (app setting ${name} is not set)`);
    return v;
  });
}

/** `AzureWebJobs.<name>.Disabled` set to true/1 disables a function (Learn, "How to disable functions"). */
export function isDisabled(functionName: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env[`AzureWebJobs.${functionName}.Disabled`] ?? env[`AzureWebJobs_${functionName}_Disabled`];
  return v !== undefined && /^(true|1)$/i.test(v.trim());
}
