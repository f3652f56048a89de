// The only module that reads process.env (docs/design.md "config.ts"). It reads a declared list of names once,
// validates each, and returns a frozen Config. A missing or invalid setting never throws: it is recorded, and only
// the identity paths / targets that need it report `misconfigured` naming it (see settingProblems()).
// Logging follows @azure/identity environmentCredential.ts: which names are set, never their values.

import { SETTINGS as CATALOG, settingsOf, type SettingFormat, type SettingName } from '../common/catalog.ts';
import { FORMATS, GUID, type Check } from './settingFormats.ts';

export interface SettingIssue {
  setting: string;
  problem: string;
}

export interface Config {
  readonly keyVault: {
    readonly url?: string;
    readonly secretName?: string;
    /** KEY_VAULT_RESOURCE_ID: the vault's ARM id (the privileges check's scope), when set. */
    readonly resourceId?: string;
    /** Sandbox-only switch KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION (docs/identity-wire.md §13.2). */
    readonly disableChallengeResourceVerification: boolean;
  };
  readonly blob: { readonly serviceUrl?: string; readonly containerName?: string };
  /** QUEUE_SERVICE_URL and QUEUE_NAME: only a declared storage-queue resource sets them (src/targets/queue.ts). */
  readonly queue: { readonly serviceUrl?: string; readonly name?: string };
  readonly arm: {
    readonly endpoint: string;
    /**
     * Token audience for ARM: ARM_AUDIENCE, else ARM_ENDPOINT. They differ on Azure Stack Hub, and for a local
     * emulator, which (like ARM) accepts only the management audiences (docs/data-plane.md §2.3).
     */
    readonly audience: string;
    readonly subscriptionId?: string;
    readonly resourceGroup?: string;
  };
  readonly tenantId?: string;
  readonly systemPrincipalId?: string;
  readonly uami: { readonly clientId?: string; readonly objectId?: string; readonly resourceId?: string };
  readonly defaultChain: { readonly clientId?: string; readonly tokenCredentials?: string };
  readonly federated: {
    readonly clientId?: string;
    readonly principalId?: string;
    /** FEDERATED_RESOURCE_ID: only remediation uses it (the identity's name and resource group). */
    readonly resourceId?: string;
    readonly tokenFile?: string;
    readonly tokenUrl?: string;
    readonly authorityHost?: string;
    /** Sandbox-only switch AZURE_DISABLE_INSTANCE_DISCOVERY (docs/identity-wire.md §10.2). */
    readonly disableInstanceDiscovery: boolean;
  };
  /** LOCAL_ENDPOINT_HOSTS: hosts besides the clouds' service domains that may receive a token (core/endpoints.ts). */
  readonly localEndpointHosts: readonly string[];
  readonly probeTimeoutMs: number;
  readonly probeSchedule: string;
  readonly status: {
    readonly serviceUrl?: string;
    readonly containerName?: string;
    readonly clientId?: string;
    readonly cacheMs: number;
  };
  /** Where the probe declaration comes from (src/declaration/source.ts, docs/declaration.md). */
  readonly declaration: DeclarationSettings;
  /** Platform-provided facts about the app itself (App Service sets these), used to fill in `az` commands. */
  readonly app: { readonly siteName?: string; readonly resourceGroup?: string };
  /** Availability results to Application Insights (host settings the app reads too; common/settings-catalog.ts). */
  readonly telemetry: Telemetry;
  /** Which managed-identity variables the platform set (presence only; docs/pain-points.md P1). */
  readonly identityEnvironment: Readonly<Record<string, boolean>>;
  /** The managed-identity source msal-node will pick from that environment (docs/identity-wire.md §2). */
  readonly managedIdentitySource: string;
  /**
   * Every declared setting's value when set and valid, by its catalog name: how a target reads the settings it
   * declares in the catalog (common/targets-catalog.ts) without a field of its own here.
   */
  readonly values: Readonly<Partial<Record<ConfigSetting, string>>>;
  /** Names of the declared settings that are set (non-empty). */
  readonly present: readonly string[];
  /** Settings that are set but invalid. Missing ones are judged by whoever needs them. */
  readonly issues: readonly SettingIssue[];
  readonly switchesOn: readonly string[];
}

export interface DeclarationSettings {
  /** PROBES_DECLARATION, else the default declaration in the package. Relative to the app root, or absolute. */
  readonly file: string;
  /** PROBES_DECLARATION_URL: a blob read on each timer run instead of the file, when set and valid. */
  readonly url?: string;
  /**
   * Client ID of the identity that reads the blob: PROBES_DECLARATION_CLIENT_ID, else the host identity's
   * AzureWebJobsStorage__clientId (when it is a GUID), else none: the system-assigned identity.
   */
  readonly clientId?: string;
  /** Which setting named the reader (for messages), or 'system'. */
  readonly reader: 'PROBES_DECLARATION_CLIENT_ID' | 'AzureWebJobsStorage__clientId' | 'system';
}

/** The declaration shipped in the package (generated from the catalog: common/declaration/default.ts). */
export const DEFAULT_DECLARATION_FILE = 'declarations/default.json';

export interface Telemetry {
  /** APPLICATIONINSIGHTS_CONNECTION_STRING; absent: nothing is sent. */
  readonly connectionString?: string;
  /**
   * From APPLICATIONINSIGHTS_AUTHENTICATION_STRING ('ClientId=<id>;Authorization=AAD'): the managed identity that
   * sends; 'system' for 'Authorization=AAD' without a ClientId. Absent: the setting is missing or malformed (then
   * nothing is sent: local authentication is disabled, so key-only ingestion would be refused anyway).
   */
  readonly clientId?: string;
  readonly problem?: string;
  /** REGION_NAME (platform-set on Azure Functions), else WEBSITE_SITE_NAME: the availability results' run location. */
  readonly runLocation: string;
}

/** Host settings (common/settings-catalog.ts, group "host") the app reads too: where telemetry goes, who sends it. */
const TELEMETRY_SETTINGS = [
  'APPLICATIONINSIGHTS_CONNECTION_STRING',
  'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
] as const satisfies readonly SettingName[];

/** Parses APPLICATIONINSIGHTS_AUTHENTICATION_STRING (https://learn.microsoft.com/azure/azure-monitor/app/azure-ad-authentication). */
export function parseTelemetry(env: NodeJS.ProcessEnv): Telemetry {
  const [connectionString, auth] = TELEMETRY_SETTINGS.map((n) => trimmed(env, n));
  const runLocation = trimmed(env, 'REGION_NAME') ?? trimmed(env, 'WEBSITE_SITE_NAME') ?? 'unknown';
  if (!connectionString) return { runLocation };
  const parts = Object.fromEntries(
    (auth ?? '')
      .split(';')
      .map((kv) => [kv.split('=')[0].trim().toLowerCase(), kv.split('=')[1]?.trim() ?? '']),
  );
  if (parts.authorization?.toLowerCase() !== 'aad')
    return {
      connectionString,
      runLocation,
      problem: "APPLICATIONINSIGHTS_AUTHENTICATION_STRING must be 'ClientId=<client id>;Authorization=AAD'",
    };
  if (parts.clientid && !GUID.test(parts.clientid))
    return {
      connectionString,
      runLocation,
      problem: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING ClientId must be a GUID',
    };
  return { connectionString, runLocation, clientId: parts.clientid || 'system' };
}

export const DEFAULT_ARM_ENDPOINT = 'https://management.azure.com';
export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;
export const DEFAULT_PROBE_SCHEDULE = '0 */5 * * * *';
export const DEFAULT_STATUS_CACHE_MS = 5_000;

/** The settings this module reads: exactly the catalog's app settings and local-only switches. */
type ConfigSetting = {
  [K in SettingName]: (typeof CATALOG)[K]['group'] extends 'app' | 'local' ? K : never;
}[SettingName];

/** Compile-time check: every setting this module reads declares its format in the catalog. */
type WithoutFormat = {
  [K in ConfigSetting]: (typeof CATALOG)[K] extends { format: SettingFormat } ? never : K;
}[ConfigSetting];
export const EVERY_SETTING_HAS_A_FORMAT: [WithoutFormat] extends [never] ? true : WithoutFormat = true;

/** The settings read, each with its check: the catalog's app settings and local switches, in catalog order. */
const SETTINGS = Object.fromEntries(
  [...settingsOf('app'), ...settingsOf('local')].map((n) => [
    n,
    FORMATS[(CATALOG[n] as { format: SettingFormat }).format],
  ]),
) as Record<ConfigSetting, Check>;
export const SETTING_NAMES: readonly string[] = Object.keys(SETTINGS);

const LOCAL_SWITCHES = settingsOf('local');

/** Managed-identity variables the platform injects; reported by presence only (docs/pain-points.md P1). */
const IDENTITY_ENV = [
  'IDENTITY_ENDPOINT',
  'IDENTITY_HEADER',
  'IDENTITY_SERVER_THUMBPRINT',
  'MSI_ENDPOINT',
  'MSI_SECRET',
  'IMDS_ENDPOINT',
  'AZURE_POD_IDENTITY_AUTHORITY_HOST',
  'AZURE_FEDERATED_TOKEN_FILE',
];

/** Environment variables whose values are secrets; the sanitizer redacts them verbatim wherever they appear. */
const SECRET_ENV = [
  'IDENTITY_HEADER',
  'MSI_SECRET',
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PASSWORD',
];

function trimmed(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && /^(true|1)$/i.test(v);
}

/** msal-node's source detection order (docs/identity-wire.md §2), computed from presence only. */
function detectSource(has: (n: string) => boolean): string {
  if (has('IDENTITY_ENDPOINT') && has('IDENTITY_HEADER'))
    return has('IDENTITY_SERVER_THUMBPRINT') ? 'ServiceFabric' : 'AppService';
  if (has('MSI_ENDPOINT')) return has('MSI_SECRET') ? 'MachineLearning' : 'CloudShell';
  if (has('IDENTITY_ENDPOINT') && has('IMDS_ENDPOINT')) return 'AzureArc';
  return 'Imds';
}

/** Reads and validates the declared settings from `env`. Pure apart from reading `env`; never throws. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const valid: Record<string, string | undefined> = {};
  const issues: SettingIssue[] = [];
  const present: string[] = [];
  for (const [name, check] of Object.entries(SETTINGS)) {
    const value = trimmed(env, name);
    if (value === undefined) continue;
    present.push(name);
    const problem = check(value);
    if (problem) issues.push({ setting: name, problem });
    else valid[name] = value;
  }
  if (valid.FEDERATED_TOKEN_FILE && valid.FEDERATED_TOKEN_URL) {
    issues.push({
      setting: 'FEDERATED_TOKEN_URL',
      problem: 'set only one of FEDERATED_TOKEN_FILE and FEDERATED_TOKEN_URL',
    });
    valid.FEDERATED_TOKEN_URL = undefined;
  }
  const stripSlash = (u: string | undefined) => u?.replace(/\/+$/, '');
  const identityEnvironment = Object.fromEntries(IDENTITY_ENV.map((n) => [n, trimmed(env, n) !== undefined]));

  const config: Config = {
    keyVault: {
      url: valid.KEY_VAULT_URL,
      secretName: valid.KEY_VAULT_SECRET_NAME,
      resourceId: valid.KEY_VAULT_RESOURCE_ID,
      disableChallengeResourceVerification: truthy(valid.KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION),
    },
    blob: { serviceUrl: valid.BLOB_SERVICE_URL, containerName: valid.BLOB_CONTAINER_NAME },
    queue: { serviceUrl: valid.QUEUE_SERVICE_URL, name: valid.QUEUE_NAME },
    arm: {
      // An invalid ARM_ENDPOINT is an issue for the arm target, not a silent fallback to the public cloud.
      endpoint: stripSlash(valid.ARM_ENDPOINT) ?? DEFAULT_ARM_ENDPOINT,
      audience: stripSlash(valid.ARM_AUDIENCE) ?? stripSlash(valid.ARM_ENDPOINT) ?? DEFAULT_ARM_ENDPOINT,
      subscriptionId: valid.AZURE_SUBSCRIPTION_ID,
      resourceGroup: valid.AZURE_RESOURCE_GROUP,
    },
    tenantId: valid.AZURE_TENANT_ID,
    systemPrincipalId: valid.SYSTEM_PRINCIPAL_ID,
    uami: {
      clientId: valid.UAMI_CLIENT_ID,
      objectId: valid.UAMI_OBJECT_ID,
      resourceId: valid.UAMI_RESOURCE_ID,
    },
    defaultChain: { clientId: valid.AZURE_CLIENT_ID, tokenCredentials: valid.AZURE_TOKEN_CREDENTIALS },
    federated: {
      clientId: valid.FEDERATED_CLIENT_ID,
      principalId: valid.FEDERATED_PRINCIPAL_ID,
      resourceId: valid.FEDERATED_RESOURCE_ID,
      tokenFile: valid.FEDERATED_TOKEN_FILE,
      tokenUrl: valid.FEDERATED_TOKEN_URL,
      authorityHost: stripSlash(valid.AZURE_AUTHORITY_HOST),
      disableInstanceDiscovery: truthy(valid.AZURE_DISABLE_INSTANCE_DISCOVERY),
    },
    localEndpointHosts: (valid.LOCAL_ENDPOINT_HOSTS ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
    probeTimeoutMs: valid.PROBE_TIMEOUT_MS ? Number(valid.PROBE_TIMEOUT_MS) : DEFAULT_PROBE_TIMEOUT_MS,
    probeSchedule: valid.PROBE_SCHEDULE ?? DEFAULT_PROBE_SCHEDULE,
    status: {
      serviceUrl: valid.STATUS_BLOB_SERVICE_URL,
      containerName: valid.STATUS_CONTAINER_NAME,
      clientId: valid.STATUS_CLIENT_ID,
      cacheMs: valid.STATUS_CACHE_MS ? Number(valid.STATUS_CACHE_MS) : DEFAULT_STATUS_CACHE_MS,
    },
    declaration: declarationSettings(valid, env),
    app: {
      siteName: trimmed(env, 'WEBSITE_SITE_NAME'),
      resourceGroup: trimmed(env, 'WEBSITE_RESOURCE_GROUP'),
    },
    telemetry: parseTelemetry(env),
    values: { ...valid },
    identityEnvironment,
    managedIdentitySource: detectSource((n) => identityEnvironment[n] === true),
    present,
    issues,
    switchesOn: LOCAL_SWITCHES.filter((n) => truthy(valid[n])),
  };
  // What the config was read from (catalog settings and the presence-only variables, never a secret), so that a
  // declared identity or resource can have the same config with its own fields in place (deriveConfig). Not
  // enumerable: it never shows in a log or a JSON body.
  Object.defineProperty(config, SOURCE, { value: sourceOf(env), enumerable: false });
  return deepFreeze(config);
}

/** Where the declaration comes from: the settings above, and the host identity's client ID (a host setting). */
function declarationSettings(
  valid: Record<string, string | undefined>,
  env: NodeJS.ProcessEnv,
): DeclarationSettings {
  const file = valid.PROBES_DECLARATION ?? DEFAULT_DECLARATION_FILE;
  const url = valid.PROBES_DECLARATION_URL;
  if (valid.PROBES_DECLARATION_CLIENT_ID)
    return {
      file,
      url,
      clientId: valid.PROBES_DECLARATION_CLIENT_ID,
      reader: 'PROBES_DECLARATION_CLIENT_ID',
    };
  // The host identity already reads the host's storage; an invalid value there is the host's problem to report.
  const host = trimmed(env, 'AzureWebJobsStorage__clientId');
  if (host && GUID.test(host)) return { file, url, clientId: host, reader: 'AzureWebJobsStorage__clientId' };
  return { file, url, reader: 'system' };
}

const SOURCE = Symbol('config source');

/** The variables loadConfig reads, without secrets: identity variables by presence only. */
function sourceOf(env: NodeJS.ProcessEnv): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of [
    ...SETTING_NAMES,
    ...TELEMETRY_SETTINGS,
    'REGION_NAME',
    'WEBSITE_SITE_NAME',
    'WEBSITE_RESOURCE_GROUP',
  ]) {
    const v = trimmed(env, name);
    if (v !== undefined) out[name] = v;
  }
  for (const name of IDENTITY_ENV) if (trimmed(env, name) !== undefined) out[name] = 'set';
  return Object.freeze(out);
}

/**
 * The same config with some settings replaced (undefined: unset): how a declared identity or resource
 * (src/declaration/compile.ts) runs the path or target module that reads those settings. Validated as loadConfig
 * validates, so a problem still names the setting.
 */
export function deriveConfig(base: Config, overlay: Readonly<Record<string, string | undefined>>): Config {
  // A config built by hand (a test's `{ ...config, probeTimeoutMs }`) has no source: its valid values stand in.
  const env: Record<string, string> = { ...configSettings(base) };
  for (const [name, value] of Object.entries(overlay)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  const derived = loadConfig(env);
  // Only what settings of identities and resources decide comes from the overlay; the rest (timeouts, the status
  // store, telemetry, the platform's identity variables) stays the base's, as a caller may have set it.
  const out = { ...derived } as Record<string, unknown>;
  for (const key of KEPT) out[key] = base[key];
  Object.defineProperty(out, SOURCE, { value: Object.freeze(env), enumerable: false });
  return deepFreeze(out as unknown as Config);
}

/**
 * The catalog settings the config was read from (the values as set, valid or not; no secrets): what the default
 * declaration's `%SETTING%` references resolve from when a caller gives a config but no environment.
 */
export function configSettings(config: Config): Readonly<Record<string, string>> {
  return (
    (config as unknown as Record<symbol, Record<string, string> | undefined>)[SOURCE] ?? {
      ...(config.values as Record<string, string>),
    }
  );
}

/** Config fields no declared identity or resource changes. */
const KEPT = [
  'probeTimeoutMs',
  'declaration',
  'probeSchedule',
  'status',
  'app',
  'telemetry',
  'identityEnvironment',
  'managedIdentitySource',
  'switchesOn',
] as const satisfies readonly (keyof Config)[];

/**
 * Problems that stop something from running: each `required` setting that is missing or invalid, and each
 * `optional` one that is set but invalid. The names are what `misconfigured` results report.
 */
export function settingProblems(
  config: Config,
  required: readonly string[],
  optional: readonly string[] = [],
): SettingIssue[] {
  const out: SettingIssue[] = [];
  for (const name of [...required, ...optional]) {
    const issue = config.issues.find((i) => i.setting === name);
    if (issue) out.push(issue);
    else if (required.includes(name) && !config.present.includes(name))
      out.push({ setting: name, problem: 'is not set' });
  }
  return out;
}

/** Exact secret values from the environment that must never appear in output (sanitizer input). */
export function secretEnvValues(env: NodeJS.ProcessEnv = process.env): string[] {
  return SECRET_ENV.map((n) => trimmed(env, n)).filter((v): v is string => v !== undefined && v.length >= 8);
}

/** One line for the log: names only, never values (docs/design.md "Patterns followed" 4). */
export function describeConfig(config: Config): string {
  const parts = [`settings set: ${config.present.join(', ') || '(none)'}`];
  const missing = SETTING_NAMES.filter((n) => !config.present.includes(n));
  if (missing.length) parts.push(`not set: ${missing.join(', ')}`);
  if (config.issues.length)
    parts.push(`invalid: ${config.issues.map((i) => `${i.setting} ${i.problem}`).join('; ')}`);
  parts.push(`managed identity source: ${config.managedIdentitySource}`);
  if (config.switchesOn.length) parts.push(`LOCAL-ONLY switches ON: ${config.switchesOn.join(', ')}`);
  return parts.join(' | ');
}

let cached: Config | undefined;

/** The process-wide Config, read once on first use (and logged once, names only). */
export function getConfig(): Config {
  if (!cached) {
    cached = loadConfig(process.env);
    console.info(`[identity-probes] ${describeConfig(cached)}`);
  }
  return cached;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
