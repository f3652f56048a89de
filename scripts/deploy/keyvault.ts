// Redeploy after delete. The vault's name is derived from the subscription, resource group and environment name
// (kv-<token> in main.bicep) and soft delete is on, so after `az group delete` the vault lives on, soft-deleted,
// for its retention period, and a redeploy to the same resource group fails on the name ("a vault with the same
// name already exists in deleted state"). Before the deployment, this looks for a soft-deleted vault that this
// deployment created (original resource group and identity-probes-env tag) and recovers it; the deployment then
// updates it in place. docs/deploy.md "Removing it" says how to purge it instead.
import type { Exec } from './exec.ts';
import { lastLine } from './exec.ts';

/** One entry of `az keyvault list-deleted --resource-type vault --output json`. */
export interface DeletedVault {
  name: string;
  properties?: {
    vaultId?: string;
    location?: string;
    deletionDate?: string;
    scheduledPurgeDate?: string;
    purgeProtectionEnabled?: boolean | null;
    tags?: Record<string, string> | null;
  };
}

export interface VaultTarget {
  resourceGroup: string;
  env: string;
  location: string;
  subscriptionArgs: string[];
}

export const TAG = 'identity-probes-env';

export const listDeletedCommand = (t: VaultTarget) => [
  'az',
  'keyvault',
  'list-deleted',
  '--resource-type',
  'vault',
  ...t.subscriptionArgs,
  '--output',
  'json',
];

export const recoverCommand = (t: VaultTarget, name: string) => [
  'az',
  'keyvault',
  'recover',
  '--name',
  name,
  '--resource-group',
  t.resourceGroup,
  '--location',
  t.location,
  ...t.subscriptionArgs,
  '--output',
  'none',
];

/** The soft-deleted vaults this deployment made: its resource group (any case), its environment tag, kv-*. */
export function ownDeletedVaults(list: DeletedVault[], t: VaultTarget): DeletedVault[] {
  const rg = `/resourcegroups/${t.resourceGroup.toLowerCase()}/providers/microsoft.keyvault/vaults/`;
  return list.filter(
    (v) =>
      /^kv-/.test(v.name) &&
      (v.properties?.vaultId ?? '').toLowerCase().includes(rg) &&
      v.properties?.tags?.[TAG] === t.env,
  );
}

/** Lines describing the check, for the dry run and the real run alike. */
export function describeVaultCheck(t: VaultTarget): string[] {
  return [
    `   a soft-deleted vault of this deployment (resource group ${t.resourceGroup}, tag ${TAG}=${t.env}) would block`,
    '   the deployment (same name); it is looked for and recovered first:',
  ];
}

/** Finds and recovers this deployment's soft-deleted vault, if there is one. Throws when recovering fails. */
export async function recoverDeletedVault(
  exec: Exec,
  t: VaultTarget,
  log: (l: string) => void,
): Promise<void> {
  const list = await exec(listDeletedCommand(t));
  // Listing needs read access on the subscription's deleted vaults, which a deployer with rights on the resource
  // group only may not have: then the deployment goes ahead, and fails with ARM's own message if a vault is there.
  if (list.status !== 0) {
    log(`   could not list soft-deleted vaults (${lastLine(list)}); deploying without the check`);
    log(`   (if it fails with "already exists in deleted state": docs/deploy.md "Removing it")`);
    return;
  }
  let all: DeletedVault[];
  try {
    all = JSON.parse(list.stdout || '[]') as DeletedVault[];
  } catch {
    throw new Error('az keyvault list-deleted did not print JSON');
  }
  const own = ownDeletedVaults(all, t);
  if (own.length === 0) {
    log(
      `   no soft-deleted vault of this deployment (${all.length} soft-deleted vault(s) in the subscription)`,
    );
    return;
  }
  for (const v of own) {
    const p = v.properties ?? {};
    const where = (p.location ?? '').toLowerCase().replace(/\s/g, '');
    log(
      `   found soft-deleted vault ${v.name} (deleted ${p.deletionDate ?? '?'}, purged on ${p.scheduledPurgeDate ?? '?'}${p.purgeProtectionEnabled ? ', purge protection on' : ''})`,
    );
    // A recovered vault keeps its region; the template would then try to move it, which ARM refuses.
    if (where && where !== t.location)
      throw new Error(
        `the soft-deleted vault ${v.name} is in ${where}, not ${t.location}: deploy with --location ${where}, or purge it first (docs/deploy.md "Removing it")`,
      );
    log(`   recovering it (the deployment then updates it in place):`);
    log(`  $ ${recoverCommand(t, v.name).join(' ')}`);
    const r = await exec(recoverCommand(t, v.name));
    if (r.status !== 0)
      throw new Error(
        `az keyvault recover --name ${v.name} failed: ${lastLine(r)}\n  (recovering needs Microsoft.KeyVault/locations/deletedVaults/recover/action, e.g. Contributor; or purge it: docs/deploy.md "Removing it")`,
      );
    log(`   recovered ${v.name}`);
  }
}
