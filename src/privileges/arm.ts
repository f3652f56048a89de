// Resource Manager calls of the privileges check, through the generic ARM REST client (@azure-rest/core-client):
// the permissions API has a subscription-scope form that no typed SDK method offers (it is not in the REST
// specification: Azure/azure-rest-api-specs#19473), and one client serves every scope the same way. Every HTTP
// request (retries included) is counted for the check that sent it.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { TokenCredential } from '@azure/identity';
import type { Client } from '@azure-rest/core-client';
import type { Config } from '../config.ts';
import { RESOURCE_RETRY } from '../targets/shared.ts';
import type { PermissionBlock } from './catalog.ts';

export const AUTHORIZATION_API_VERSION = '2022-04-01';
/** Resources - List By Resource Group, and Vaults - Get (Microsoft.KeyVault). */
const RESOURCES_API_VERSION = '2021-04-01';
const VAULTS_API_VERSION = '2023-07-01';
/** Vaults read at most when looking one up by URI (a group rarely holds more). */
const MAX_VAULTS = 20;
/** Pages followed at most per list (ARM answers these lists in one page in practice). */
const MAX_PAGES = 5;

export interface AssignmentRecord {
  id: string;
  name: string;
  roleDefinitionId: string;
  principalId: string;
  scope: string;
}

export interface PrivilegesArm {
  permissions(scope: string, signal: AbortSignal): Promise<PermissionBlock[]>;
  /**
   * Every role assignment of the principal at, above and below `scope` (`$filter=principalId eq`); the caller
   * needs Microsoft.Authorization/roleAssignments/read at that scope.
   */
  assignments(scope: string, principalId: string, signal: AbortSignal): Promise<AssignmentRecord[]>;
  /**
   * The ARM id of the vault in `resourceGroup` whose URI is `vaultUri`, if the caller may read it: the list of the
   * group's vaults (which shows no properties), then each vault's GET until one shows that URI.
   */
  vaultIdByUri(resourceGroup: string, vaultUri: string, signal: AbortSignal): Promise<string | undefined>;
  /** Permission blocks of a role definition, by its full id. */
  roleDefinition(
    id: string,
    signal: AbortSignal,
  ): Promise<{ roleName?: string; permissions: PermissionBlock[] }>;
}

const counter = new AsyncLocalStorage<{ requests: number }>();

/** Runs `fn`, counting the ARM requests it sends. */
export async function countingRequests<T>(fn: () => Promise<T>): Promise<{ value: T; requests: number }> {
  const store = { requests: 0 };
  const value = await counter.run(store, fn);
  return { value, requests: store.requests };
}

const block = (p: Partial<PermissionBlock>): PermissionBlock => ({
  actions: p.actions ?? [],
  notActions: p.notActions ?? [],
  dataActions: p.dataActions ?? [],
  notDataActions: p.notDataActions ?? [],
});

async function getAll<T>(client: Client, path: string, query: Record<string, string>, signal: AbortSignal) {
  const { createRestError } = await import('@azure-rest/core-client');
  const out: T[] = [];
  let next: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = next
      ? await client.pathUnchecked(next).get({ abortSignal: signal, skipUrlEncoding: true })
      : await client.pathUnchecked(path).get({ abortSignal: signal, queryParameters: query });
    if (!/^2/.test(res.status)) throw createRestError(res);
    const body = res.body as { value?: T[]; nextLink?: string };
    out.push(...(body.value ?? []));
    next = body.nextLink ?? undefined;
    if (!next) break;
  }
  return out;
}

export async function createPrivilegesArm(
  credential: TokenCredential,
  config: Config,
): Promise<PrivilegesArm> {
  const { getClient, createRestError } = await import('@azure-rest/core-client');
  const client = getClient(config.arm.endpoint, credential, {
    credentials: { scopes: [`${config.arm.audience}/.default`] },
    retryOptions: RESOURCE_RETRY,
    additionalPolicies: [
      {
        position: 'perRetry',
        policy: {
          name: 'identityProbesCountArmRequests',
          sendRequest(request, next) {
            const store = counter.getStore();
            if (store) store.requests++;
            return next(request);
          },
        },
      },
    ],
  });
  const api = { 'api-version': AUTHORIZATION_API_VERSION };
  return {
    async permissions(scope, signal) {
      const path = `${scope}/providers/Microsoft.Authorization/permissions`;
      return (await getAll<Partial<PermissionBlock>>(client, path, api, signal)).map(block);
    },
    async assignments(scope, principalId, signal) {
      const path = `${scope}/providers/Microsoft.Authorization/roleAssignments`;
      const list = await getAll<{
        id: string;
        name: string;
        properties: Omit<AssignmentRecord, 'id' | 'name'>;
      }>(client, path, { ...api, $filter: `principalId eq '${principalId}'` }, signal);
      return list.map((a) => ({
        id: a.id,
        name: a.name,
        roleDefinitionId: a.properties.roleDefinitionId,
        principalId: a.properties.principalId,
        scope: a.properties.scope,
      }));
    },
    async vaultIdByUri(resourceGroup, vaultUri, signal) {
      const norm = (u: string) => u.replace(/\/+$/, '').toLowerCase();
      const vaults = await getAll<{ id: string }>(
        client,
        `${resourceGroup}/resources`,
        { 'api-version': RESOURCES_API_VERSION, $filter: "resourceType eq 'Microsoft.KeyVault/vaults'" },
        signal,
      );
      for (const v of vaults.slice(0, MAX_VAULTS)) {
        const res = await client
          .pathUnchecked(v.id)
          .get({ abortSignal: signal, queryParameters: { 'api-version': VAULTS_API_VERSION } });
        if (!/^2/.test(res.status)) continue;
        const uri = (res.body as { properties?: { vaultUri?: string } }).properties?.vaultUri;
        if (uri && norm(uri) === norm(vaultUri)) return v.id;
      }
      return undefined;
    },
    async roleDefinition(id, signal) {
      const res = await client.pathUnchecked(id).get({ abortSignal: signal, queryParameters: api });
      if (!/^2/.test(res.status)) throw createRestError(res);
      const p = (res.body as { properties?: { roleName?: string; permissions?: Partial<PermissionBlock>[] } })
        .properties;
      return { roleName: p?.roleName, permissions: (p?.permissions ?? []).map(block) };
    },
  };
}
