// How each setting format of the catalog (common/settings-catalog.ts SettingFormat) is validated: one check per
// format, which src/config.ts applies to every setting the catalog declares with it. A check returns the problem in
// words ("must be a GUID"), or undefined when the value is valid; it never throws.
import type { SettingFormat } from '../common/catalog.ts';

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const UAMI_RESOURCE_ID =
  /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i;
const VAULT_RESOURCE_ID =
  /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/Microsoft\.KeyVault\/vaults\/[^/]+$/i;
// Key Vault secret names (docs/data-plane.md §1.2), storage container names, resource group names.
const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/;
// Queue names: 3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit
// (https://learn.microsoft.com/rest/api/storageservices/naming-queues-and-metadata).
const QUEUE_NAME = CONTAINER_NAME;
// An ARM scope a Reader can list: a subscription, or a resource group in one.
const ARM_SCOPE = /^\/subscriptions\/[0-9a-f-]{36}(?:\/resourcegroups\/[-\w.()]{0,89}[-\w()])?$/i;
const RESOURCE_GROUP = /^[-\w.()]{0,89}[-\w()]$/;
// Values accepted by DefaultAzureCredential for AZURE_TOKEN_CREDENTIALS (docs/identity-wire.md §12.2); anything
// else makes its constructor throw, so it is caught here with a clear message instead.
const TOKEN_CREDENTIALS = [
  'prod',
  'dev',
  'environmentcredential',
  'workloadidentitycredential',
  'managedidentitycredential',
  'visualstudiocodecredential',
  'azureclicredential',
  'azurepowershellcredential',
  'azuredeveloperclicredential',
];

export type Check = (value: string) => string | undefined; // returns a problem, or undefined when valid

const guid: Check = (v) => (GUID.test(v) ? undefined : 'must be a GUID');
const pattern =
  (re: RegExp, what: string): Check =>
  (v) =>
    re.test(v) ? undefined : what;
const httpsUrl: Check = (v) => {
  const u = URL.parse(v);
  if (!u) return 'must be an absolute URL';
  // The SDK bearer policies refuse tokens over http (docs/identity-wire.md §13.1), and so does IdentityClient for
  // authority hosts (§10.1): an http URL can never work, so say so here rather than at call time.
  return u.protocol === 'https:' ? undefined : 'must be an https:// URL';
};
/** Hosts that never leave the machine (URL.hostname spelling), where plain http carries nothing off it. */
const LOOPBACK_HOSTS = ['127.0.0.1', '[::1]', 'localhost'];
const httpsOrLoopbackUrl: Check = (v) => {
  // What it answers is a credential (the external token): only https, or http that stays on this machine (a
  // local token broker during development).
  const u = URL.parse(v);
  if (u?.protocol === 'http:' && LOOPBACK_HOSTS.includes(u.hostname)) return undefined;
  const problem = httpsUrl(v);
  return problem && u ? `${problem} (http:// only to 127.0.0.1, ::1 or localhost)` : problem;
};
const absolutePath: Check = (v) =>
  v.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(v) ? undefined : 'must be an absolute path';
// A declaration file: relative (to the app root) or absolute, naming a .json file; no NUL, which no file system takes.
const jsonPath: Check = (v) =>
  /\.json$/i.test(v) && !v.includes('\0') ? undefined : 'must be the path of a .json file';
// Host names (or bracketed IPv6 addresses), comma-separated: LOCAL_ENDPOINT_HOSTS.
const hostList: Check = (v) =>
  v
    .split(',')
    .every((h) =>
      /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])$/i.test(
        h.trim(),
      ),
    )
    ? undefined
    : 'must be host names separated by commas (no scheme, no port)';
const intRange =
  (min: number, max: number): Check =>
  (v) =>
    /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max
      ? undefined
      : `must be an integer from ${min} to ${max}`;
const bool: Check = (v) => (/^(true|false|1|0)$/i.test(v) ? undefined : 'must be true or false');
const ncrontab: Check = (v) => {
  // NCRONTAB: six fields {second} {minute} {hour} {day} {month} {day-of-week}; the extension also takes five
  // (docs/host-notes.md "Timer trigger"). Shape check only; the host parses it.
  const fields = v.trim().split(/\s+/);
  if (fields.length !== 6 && fields.length !== 5) return 'must be an NCRONTAB expression with six fields';
  return fields.every((f) => /^[0-9A-Za-z*/,?-]+$/.test(f)) ? undefined : 'has an invalid NCRONTAB field';
};
const tokenCredentials: Check = (v) =>
  TOKEN_CREDENTIALS.includes(v.trim().toLowerCase())
    ? undefined
    : "must be 'prod', 'dev' or a credential name such as ManagedIdentityCredential";

/** How each format of the catalog (common/settings-catalog.ts SettingFormat) is validated. */
export const FORMATS: Record<SettingFormat, Check> = {
  'https-url': httpsUrl,
  'host-list': hostList,
  'https-or-loopback-url': httpsOrLoopbackUrl,
  guid,
  'secret-name': pattern(SECRET_NAME, 'must be a Key Vault secret name (letters, digits, hyphens)'),
  'container-name': pattern(CONTAINER_NAME, 'must be a storage container name'),
  'queue-name': pattern(QUEUE_NAME, 'must be a storage queue name'),
  'arm-scope': pattern(ARM_SCOPE, 'must be a subscription or resource group ARM id'),
  'resource-group': pattern(RESOURCE_GROUP, 'must be a resource group name'),
  'vault-resource-id': pattern(VAULT_RESOURCE_ID, 'must be a Key Vault resource ID'),
  'uami-resource-id': pattern(UAMI_RESOURCE_ID, 'must be a user-assigned identity resource ID'),
  'token-credentials': tokenCredentials,
  'absolute-path': absolutePath,
  'json-path': jsonPath,
  'probe-timeout-ms': intRange(100, 300_000),
  ncrontab,
  'cache-ms': intRange(0, 600_000),
  bool,
};
