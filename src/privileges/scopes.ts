// The ARM id of each checked scope, from the settings only (the same assumptions as the targets' remediation
// scopes: the vault and the storage accounts live in AZURE_RESOURCE_GROUP, as infra/ deploys them).
import type { Config } from '../config.ts';
import { storageAccountName, vaultName } from '../targets/index.ts';
import { SCOPE_KEYS, type ScopeKey } from './catalog.ts';

export type ScopeIds = Partial<Record<ScopeKey, string>>;

/** Every scope the settings name; a scope whose settings are missing is absent (the check reports it). */
export function resolveScopes(config: Config): ScopeIds {
  const { subscriptionId, resourceGroup } = config.arm;
  if (!subscriptionId) return {};
  const sub = `/subscriptions/${subscriptionId}`;
  if (!resourceGroup) return { subscription: sub };
  const rg = `${sub}/resourceGroups/${resourceGroup}`;
  const account = (url: string | undefined) => {
    const name = storageAccountName(url);
    return name && `${rg}/providers/Microsoft.Storage/storageAccounts/${name}`;
  };
  const container = (url: string | undefined, name: string | undefined) => {
    const a = account(url);
    return a && name ? `${a}/blobServices/default/containers/${name}` : undefined;
  };
  const vault = vaultName(config.keyVault.url);
  const ids: ScopeIds = {
    subscription: sub,
    resourceGroup: rg,
    keyVault: config.keyVault.resourceId ?? (vault && `${rg}/providers/Microsoft.KeyVault/vaults/${vault}`),
    storageAccount: account(config.blob.serviceUrl),
    canaryContainer: container(config.blob.serviceUrl, config.blob.containerName),
    statusContainer: container(config.status.serviceUrl, config.status.containerName),
  };
  return Object.fromEntries(SCOPE_KEYS.filter((k) => ids[k]).map((k) => [k, ids[k]])) as ScopeIds;
}

/** The settings that name a scope, for the message when they are missing. */
export const SCOPE_SETTINGS: Readonly<Record<ScopeKey, string>> = {
  subscription: 'AZURE_SUBSCRIPTION_ID',
  resourceGroup: 'AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP',
  keyVault: 'KEY_VAULT_RESOURCE_ID (or a KEY_VAULT_URL whose host names the vault)',
  storageAccount: 'BLOB_SERVICE_URL',
  canaryContainer: 'BLOB_SERVICE_URL, BLOB_CONTAINER_NAME',
  statusContainer: 'STATUS_BLOB_SERVICE_URL, STATUS_CONTAINER_NAME',
};

const norm = (s: string) => s.replace(/\/+$/, '').toLowerCase();

/** Whether an assignment at `outer` applies at `inner` (case-insensitive prefix on segment boundaries). */
export function scopeCovers(outer: string, inner: string): boolean {
  const [o, i] = [norm(outer), norm(inner)];
  return o === '' || i === o || i.startsWith(`${o}/`);
}
