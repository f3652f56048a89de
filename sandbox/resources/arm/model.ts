// The world as Resource Manager shows it: generic resources (with the shapes the list API returns), user-assigned
// identities and their federated identity credentials (docs/data-plane.md §2.2). Ids keep their original
// casing (`resourceGroups`, `providers/Microsoft.X/type/name`); lookups are case-insensitive, as ARM's are.
import type { World } from '../../world.ts';

export interface ArmResource {
  id: string;
  name: string;
  type: string;
  location: string;
  resourceGroup: string;
  kind?: string;
  sku?: Record<string, string>;
  identity?: Record<string, unknown>;
  tags: Record<string, string>;
  createdTime: string;
}

export interface UserAssignedIdentity {
  id: string;
  name: string;
  resourceGroup: string;
  location: string;
  clientId: string;
  principalId: string;
  tenantId: string;
}

export interface FederatedIdentityCredential {
  id: string;
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

export const UAMI_TYPE = 'Microsoft.ManagedIdentity/userAssignedIdentities';
export const FIC_TYPE = 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials';

const lower = (s: string) => s.toLowerCase();

export class ArmModel {
  readonly world: World;
  readonly resources: ArmResource[];
  readonly identities: UserAssignedIdentity[];
  readonly createdTime: string;

  constructor(world: World, createdTime = new Date().toISOString()) {
    this.world = world;
    this.createdTime = createdTime;
    const rg = world.resourceGroup;
    this.identities = world.identities
      .filter((i) => i.kind === 'user-assigned' && i.resourceId)
      .map((i) => ({
        id: i.resourceId!,
        name: i.name,
        resourceGroup: rg,
        location: world.location,
        clientId: i.clientId,
        principalId: i.principalId,
        tenantId: world.tenantId,
      }));

    const byId = new Map<string, ArmResource>();
    const add = (r: Omit<ArmResource, 'tags' | 'createdTime' | 'resourceGroup'> & Partial<ArmResource>) => {
      if (!byId.has(lower(r.id))) byId.set(lower(r.id), { tags: {}, createdTime, resourceGroup: rg, ...r });
    };
    for (const r of world.armResources) add({ ...r, ...this.#decorate(r.type, r.id) });
    add({
      id: world.functionApp.resourceId,
      name: world.functionApp.name,
      type: 'Microsoft.Web/sites',
      location: world.location,
      ...this.#decorate('Microsoft.Web/sites', world.functionApp.resourceId),
    });
    for (const k of world.keyVaults)
      add({ id: k.resourceId, name: k.name, type: 'Microsoft.KeyVault/vaults', location: world.location });
    for (const s of world.storageAccounts)
      add({
        id: s.resourceId,
        name: s.name,
        type: 'Microsoft.Storage/storageAccounts',
        location: world.location,
        ...this.#decorate('Microsoft.Storage/storageAccounts', s.resourceId),
      });
    for (const i of this.identities) add({ id: i.id, name: i.name, type: UAMI_TYPE, location: i.location });
    this.resources = [...byId.values()];
  }

  /** The extra fields the list API shows for a type: the app's managed identities, the account's kind and sku. */
  #decorate(type: string, id: string): Partial<ArmResource> {
    const w = this.world;
    if (lower(type) === 'microsoft.web/sites' && lower(id) === lower(w.functionApp.resourceId)) {
      const attached = this.identities.filter((i) => w.functionApp.attached.includes(i.principalId));
      const system = w.functionApp.systemAssigned;
      const types = [
        system ? 'SystemAssigned' : undefined,
        attached.length ? 'UserAssigned' : undefined,
      ].filter(Boolean);
      return {
        kind: 'functionapp,linux',
        identity: {
          type: types.length ? types.join(', ') : 'None',
          ...(system ? { principalId: system.principalId, tenantId: w.tenantId } : {}),
          ...(attached.length
            ? {
                userAssignedIdentities: Object.fromEntries(
                  attached.map((i) => [i.id, { principalId: i.principalId, clientId: i.clientId }]),
                ),
              }
            : {}),
        },
      };
    }
    if (lower(type) === 'microsoft.storage/storageaccounts')
      return { kind: 'StorageV2', sku: { name: 'Standard_LRS', tier: 'Standard' } };
    return {};
  }

  hasResourceGroup(name: string): boolean {
    return lower(name) === lower(this.world.resourceGroup);
  }

  resourcesIn(resourceGroup?: string): ArmResource[] {
    return resourceGroup === undefined
      ? this.resources
      : this.resources.filter((r) => lower(r.resourceGroup) === lower(resourceGroup));
  }

  findResource(id: string): ArmResource | undefined {
    return this.resources.find((r) => lower(r.id) === lower(id));
  }

  findIdentity(resourceGroup: string, name: string): UserAssignedIdentity | undefined {
    return this.identities.find(
      (i) => lower(i.resourceGroup) === lower(resourceGroup) && lower(i.name) === lower(name),
    );
  }

  federatedCredentials(identity: UserAssignedIdentity): FederatedIdentityCredential[] {
    return this.world.federatedCredentials
      .filter((f) => f.principalId === identity.principalId)
      .map((f) => ({
        id: `${identity.id}/federatedIdentityCredentials/${f.name}`,
        name: f.name,
        issuer: f.issuer,
        subject: f.subject,
        audiences: f.audiences,
      }));
  }
}
