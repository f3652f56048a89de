// Where a token may go. Every endpoint a user configures (an app setting, or a field of a probe declaration, which a
// blob can change without a redeploy) is checked against the service domains of the Azure clouds before any token is
// sent to it, or against the hosts LOCAL_ENDPOINT_HOSTS lists explicitly (the sandbox's loopback host; never set in
// Azure). A Storage or Resource Manager token sent to another host would be good at the real service for its
// lifetime; the SDK clients send the token to whatever URL they are given, and only Key Vault's challenge check
// stands in between, for Key Vault alone.
// Domains: https://learn.microsoft.com/azure/storage/common/storage-account-overview#standard-endpoints (and the Azure
// DNS zone endpoints), https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#object-identifiers,
// https://learn.microsoft.com/azure/azure-resource-manager/management/control-plane-and-data-plane (per cloud).
import type { Config, SettingIssue } from '../config.ts';

export type TokenService = 'keyvault' | 'blob' | 'queue' | 'arm';

const storage = (service: 'blob' | 'queue') =>
  new RegExp(
    `^[a-z0-9]{3,24}(?:-secondary)?\\.${service}\\.core\\.(?:windows\\.net|usgovcloudapi\\.net|chinacloudapi\\.cn)$|^[a-z0-9]{3,24}\\.z\\d{2}\\.${service}\\.storage\\.azure\\.net$`,
  );

/** Each service's hosts in the Azure clouds (public, US Government, China). */
const CLOUD_HOSTS: Readonly<Record<TokenService, RegExp>> = {
  keyvault: /^[a-z0-9-]{3,24}\.vault\.(?:azure\.net|usgovcloudapi\.net|azure\.cn)$/,
  blob: storage('blob'),
  queue: storage('queue'),
  arm: /^management\.(?:azure\.com|usgovcloudapi\.net|chinacloudapi\.cn)$/,
};

const DESCRIBED: Readonly<Record<TokenService, string>> = {
  keyvault:
    'a Key Vault of an Azure cloud (<name>.vault.azure.net, .vault.usgovcloudapi.net, .vault.azure.cn)',
  blob: 'a Blob endpoint of an Azure cloud (<account>.blob.core.windows.net, ...)',
  queue: 'a Queue endpoint of an Azure cloud (<account>.queue.core.windows.net, ...)',
  arm: 'Resource Manager of an Azure cloud (management.azure.com, management.usgovcloudapi.net, management.chinacloudapi.cn)',
};

/**
 * Why a token for `service` must not go to `url`; undefined when it may. A cloud host only on the standard port; a
 * host of LOCAL_ENDPOINT_HOSTS on any port. A URL that does not parse is left to its format check.
 */
export function untrustedEndpoint(
  service: TokenService,
  url: string,
  localHosts: readonly string[],
): string | undefined {
  const u = URL.parse(url);
  if (!u || u.protocol !== 'https:') return undefined;
  const host = u.hostname.toLowerCase();
  if (localHosts.includes(host)) return undefined;
  if (CLOUD_HOSTS[service].test(host) && u.port === '' && !u.username && !u.password) return undefined;
  return `is not ${DESCRIBED[service]} nor a host in LOCAL_ENDPOINT_HOSTS: no token is sent to ${u.host}`;
}

/** The setting's problem when its URL may not receive a token for `service` (none when it is unset or may). */
export function endpointProblems(config: Config, setting: string, service: TokenService): SettingIssue[] {
  const url = (config.values as Readonly<Record<string, string | undefined>>)[setting];
  const problem = url === undefined ? undefined : untrustedEndpoint(service, url, config.localEndpointHosts);
  return problem ? [{ setting, problem }] : [];
}
