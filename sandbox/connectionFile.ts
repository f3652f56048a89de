// The connection file (.sandbox/connection.json): what a running sandbox tells everything that runs against it
// (tests, npm start, bench, scripts/sandbox-az.ts): endpoints, the world's ids, secrets the platform would hand the
// compute resource, and the exact app settings. Shape: ./connection.ts.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PlaneHandle, SandboxContext } from './core/context.ts';
import type { SandboxConnection } from './connection.ts';
import type { OperatorDeclaration } from './operator.ts';
import type { World } from './world.ts';

const WIRING_FILE = join(
  resolve(dirname(fileURLToPath(import.meta.url)), '..'),
  'infra',
  'identity-wiring.json',
);

export function buildConnection(
  ctx: SandboxContext,
  planes: PlaneHandle[],
  adminOrigin: string,
  operator: OperatorDeclaration | undefined,
): SandboxConnection {
  const w = ctx.world;
  const merged = <K extends 'endpoints' | 'sourceSecrets' | 'files' | 'resources'>(k: K) =>
    Object.assign({}, ...planes.map((p) => p[k] ?? {}));
  const endpoints = { admin: adminOrigin, ...merged('endpoints') } as SandboxConnection['endpoints'];
  const sourceSecrets = { appSecrets: {}, ...merged('sourceSecrets') } as SandboxConnection['sourceSecrets'];
  const files = merged('files') as SandboxConnection['files'];
  const resources = merged('resources') as SandboxConnection['resources'];
  const appSettings = appSettingsOf(ctx, endpoints, sourceSecrets, files, resources);
  return {
    scenario: w.name,
    caCertPath: ctx.ca.caCertPath,
    tenantId: w.tenantId,
    subscriptionId: w.subscriptionId,
    resourceGroup: w.resourceGroup,
    endpoints,
    identities: identitiesOf(w),
    ...(operator
      ? {
          operator: {
            name: operator.name,
            clientId: operator.clientId.toLowerCase(),
            principalId: operator.principalId.toLowerCase(),
          },
        }
      : {}),
    sourceSecrets,
    files,
    resources,
    appSettings,
  };
}

function identitiesOf(w: World): SandboxConnection['identities'] {
  return [
    ...w.identities.map((i) => ({
      key: i.key,
      name: i.name,
      kind: i.kind,
      clientId: i.clientId,
      principalId: i.principalId,
      ...(i.resourceId ? { resourceId: i.resourceId } : {}),
    })),
    ...w.appRegistrations.map((a) => ({
      key: a.key,
      name: a.name,
      kind: a.kind,
      clientId: a.clientId,
      principalId: a.principalId,
    })),
  ];
}

/** Identity settings come from the wiring's settings map (the one source of truth shared with infra/). */
function identitySettingsOf(w: World): Record<string, string> {
  const wiring = JSON.parse(readFileSync(WIRING_FILE, 'utf8')) as {
    identities: Record<string, { settings?: Record<string, string[]> }>;
  };
  const identitySettings: Record<string, string> = {};
  for (const [key, wi] of Object.entries(wiring.identities)) {
    const id = w.identities.find((x) => x.key === key);
    if (!id) continue;
    for (const [field, names] of Object.entries(wi.settings ?? {})) {
      const value = (id as unknown as Record<string, string | undefined>)[field];
      if (value) for (const n of names) identitySettings[n] = value;
    }
  }
  return identitySettings;
}

function appSettingsOf(
  ctx: SandboxContext,
  endpoints: SandboxConnection['endpoints'],
  sourceSecrets: SandboxConnection['sourceSecrets'],
  files: SandboxConnection['files'],
  resources: SandboxConnection['resources'],
): Record<string, string> {
  const w = ctx.world;
  return {
    // What the Functions platform injects for managed identity (App Service source, api-version 2019-08-01).
    IDENTITY_ENDPOINT: endpoints.appService ?? '',
    IDENTITY_HEADER: sourceSecrets.identityHeader ?? '',
    NODE_EXTRA_CA_CERTS: ctx.ca.caCertPath,
    // Also platform-set on Azure Functions: the site and its resource group (remediation commands name them).
    WEBSITE_SITE_NAME: w.functionApp.name,
    WEBSITE_RESOURCE_GROUP: w.resourceGroup,
    KEY_VAULT_URL: endpoints.keyVault ?? '',
    KEY_VAULT_SECRET_NAME: resources.secretName ?? '',
    BLOB_SERVICE_URL: endpoints.blob ?? '',
    BLOB_CONTAINER_NAME: resources.canaryContainer ?? '',
    ARM_ENDPOINT: endpoints.arm ?? '',
    ARM_AUDIENCE: 'https://management.azure.com', // the ARM emulator, like ARM, accepts only management audiences
    AZURE_SUBSCRIPTION_ID: w.subscriptionId,
    AZURE_RESOURCE_GROUP: w.resourceGroup,
    AZURE_TENANT_ID: w.tenantId,
    ...identitySettingsOf(w),
    FEDERATED_TOKEN_FILE: files.federatedTokenFile ?? '',
    AZURE_AUTHORITY_HOST: endpoints.entra ?? '',
    PROBE_TIMEOUT_MS: '10000',
    PROBE_SCHEDULE: '0 */5 * * * *',
    STATUS_BLOB_SERVICE_URL: endpoints.blob ?? '',
    STATUS_CONTAINER_NAME: resources.statusContainer ?? '',
    // Local-only switches the SDKs need for loopback hosts (ARCHITECTURE "Local and Azure differ only in settings"):
    // the Key Vault challenge names vault.azure.net, which 127.0.0.1 does not end with (identity-protocols.md §13.2),
    // and MSAL's instance discovery would go to the public cloud.
    KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION: 'true',
    AZURE_DISABLE_INSTANCE_DISCOVERY: 'true',
  };
}

/**
 * Writes <stateDir>/connection.json. When another live sandbox already owns that file (two sandboxes side by side
 * on the default state dir), writes connection-<pid>.json instead, so neither clobbers the other.
 */
export function writeConnection(stateDir: string, connection: SandboxConnection): string {
  const main = join(stateDir, 'connection.json');
  let target = main;
  if (existsSync(main)) {
    try {
      const other = JSON.parse(readFileSync(main, 'utf8')) as { pid?: number };
      if (other.pid && other.pid !== process.pid && isAlive(other.pid))
        target = join(stateDir, `connection-${process.pid}.json`);
    } catch {
      // unreadable: overwrite
    }
  }
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...connection, pid: process.pid }, null, 2), { mode: 0o600 });
  renameSync(tmp, target);
  return target;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
