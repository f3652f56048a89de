import type { TargetId } from '../ids.ts';
import { arm } from './arm.ts';
import { blob } from './blob.ts';
import { keyvault } from './keyvault.ts';
import { queueKind } from './queue.ts';
import type { ResourceKindPlugin, Target } from '../core/plugins.ts';

export { TargetCheckError } from './shared.ts';

export const TARGETS: Readonly<Record<TargetId, Target>> = Object.freeze({ keyvault, blob, arm });
export { vaultName } from './keyvault.ts';
export { storageAccountName } from './blob.ts';

const same = (a: string | undefined, b: string | undefined) =>
  a !== undefined &&
  b !== undefined &&
  a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();

/** `/subscriptions/<id>[/resourceGroups/<name>]`: the settings the arm target reads. */
export function armScopeSettings(scope: string): { subscriptionId?: string; resourceGroup?: string } {
  const m = /^\/subscriptions\/([^/]+)(?:\/resourceGroups\/([^/]+))?\/?$/i.exec(scope);
  return m ? { subscriptionId: m[1], resourceGroup: m[2] } : {};
}

/**
 * Declared resource kinds (common/declaration/schema.ts RESOURCE_KINDS): the target module that probes each and the
 * settings its fields become (core/plugins.ts ResourceKindPlugin). A new kind is one target module and one line here.
 */
export const RESOURCE_KINDS: readonly ResourceKindPlugin[] = [
  {
    kind: 'keyvault-secret',
    target: keyvault,
    settings: (f, base) => ({
      KEY_VAULT_URL: f.vaultUrl,
      KEY_VAULT_SECRET_NAME: f.secretName,
      // The vault's ARM id is known only for the app's own vault.
      KEY_VAULT_RESOURCE_ID: same(f.vaultUrl, base.keyVault.url) ? base.keyVault.resourceId : undefined,
    }),
  },
  {
    kind: 'blob-container',
    target: blob,
    settings: (f) => ({ BLOB_SERVICE_URL: f.serviceUrl, BLOB_CONTAINER_NAME: f.container }),
  },
  {
    kind: 'arm-scope',
    target: arm,
    settings: (f) => {
      const { subscriptionId, resourceGroup } = armScopeSettings(f.scope);
      // Endpoint and audience left out: the app's cloud (ARM_ENDPOINT, ARM_AUDIENCE).
      return {
        AZURE_SUBSCRIPTION_ID: subscriptionId,
        AZURE_RESOURCE_GROUP: resourceGroup,
        ...(f.endpoint ? { ARM_ENDPOINT: f.endpoint } : {}),
        ...(f.audience ? { ARM_AUDIENCE: f.audience } : {}),
      };
    },
  },
  queueKind,
];
