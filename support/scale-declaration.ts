// The declarations of the scale bench (bench/declaration.ts), made in code rather than checked in: N identities of
// every kind x M resources of all four kinds, every probe `allowed` but a few `denied`. Every value the sandbox serves
// is a `%SETTING%` reference, so `startSandbox({ declaration })` builds a world from it and fills in the settings
// (sandbox/declaration/index.ts), as Azure's app settings would for a deployed app.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Declaration } from '../common/declaration/schema.ts';

type Identities = Declaration['identities'];
type Resources = Declaration['resources'];
type Probe = Declaration['probes'][number];

/** The default declaration (the canary demo, 6 identities x 3 resources), as it ships. */
export function defaultDeclaration(): Declaration {
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'declarations', 'default.json');
  return JSON.parse(readFileSync(file, 'utf8')) as Declaration;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Identity i (0-based) of a scale declaration. The mix a platform team has: the app's own system-assigned identity,
 * one default chain and every fifth a federated one; the rest user-assigned, selected by each of their ids in turn.
 */
function identity(i: number): [string, Identities[string]] {
  const name = `id-${pad(i + 1)}`;
  const ref = (field: string) => `%SCALE_ID${pad(i + 1)}_${field}%`;
  if (i === 0) return [name, { kind: 'system-assigned', principalId: '%SYSTEM_PRINCIPAL_ID%' }];
  if (i === 1)
    return [name, { kind: 'default-chain', clientId: ref('CLIENT_ID'), principalId: ref('OBJECT_ID') }];
  if (i % 5 === 3)
    return [
      name,
      {
        kind: 'federated',
        tenantId: '%AZURE_TENANT_ID%',
        clientId: ref('CLIENT_ID'),
        principalId: ref('OBJECT_ID'),
        tokenFile: '%SCALE_TOKEN_FILE%',
      },
    ];
  const selectBy = (['client-id', 'object-id', 'resource-id'] as const)[i % 3];
  return [
    name,
    {
      kind: 'user-assigned',
      selectBy,
      clientId: ref('CLIENT_ID'),
      principalId: ref('OBJECT_ID'),
      ...(selectBy === 'resource-id' ? { resourceId: ref('RESOURCE_ID') } : {}),
    },
  ];
}

/**
 * Resource j (0-based): Key Vault secrets, Blob containers, Storage queues and ARM scopes in turn (a resource group,
 * and every fourth ARM scope the whole subscription), each vault, container and queue its own.
 */
function resource(j: number): [string, Resources[string]] {
  const n = pad(j + 1);
  switch (j % 4) {
    case 0:
      return [
        `kv-${n}`,
        { kind: 'keyvault-secret', vaultUrl: `%SCALE_VAULT${n}_URL%`, secretName: `secret-${n}` },
      ];
    case 1:
      return [
        `blob-${n}`,
        { kind: 'blob-container', serviceUrl: '%SCALE_BLOB_URL%', container: `container-${n}` },
      ];
    case 2:
      return [`queue-${n}`, { kind: 'storage-queue', serviceUrl: '%SCALE_QUEUE_URL%', queue: `queue-${n}` }];
    default:
      return [
        `arm-${n}`,
        {
          kind: 'arm-scope',
          scope:
            j % 16 === 15
              ? '/subscriptions/%SCALE_SUBSCRIPTION%'
              : '/subscriptions/%SCALE_SUBSCRIPTION%/resourceGroups/%SCALE_GROUP%',
          endpoint: '%ARM_ENDPOINT%',
        },
      ];
  }
}

/**
 * `identities` x `resources` probes. `denied` cells only where no other grant of the world covers the call (a Key
 * Vault secret or a queue: ARM's Reader, which the identity holds through its allowed ARM scopes, covers a container's
 * properties, docs/declaration.md), on two identities of every five, so a few per declaration (2 of 100, 10 of 500).
 */
export function scaleDeclaration(identities: number, resources: number): Declaration {
  const ids = Array.from({ length: identities }, (_, i) => identity(i));
  const res = Array.from({ length: resources }, (_, j) => resource(j));
  const probes: Probe[] = [];
  ids.forEach(([idName], i) =>
    res.forEach(([resName, r], j) => {
      const deniable = r.kind === 'keyvault-secret' || r.kind === 'storage-queue';
      const denied = (i % 5 === 2 || i % 5 === 4) && deniable && j === (i % 4 === 2 ? 0 : 2);
      probes.push({ identity: idName, resource: resName, ...(denied ? { expect: 'denied' as const } : {}) });
    }),
  );
  return {
    schemaVersion: 1,
    name: `scale-${identities}x${resources}`,
    version: '1',
    identities: Object.fromEntries(ids),
    resources: Object.fromEntries(res),
    probes,
  };
}

/** The bench's three sizes: the default (18), 5 x 20 (100) and 25 x 20 (500). */
export function benchDeclarations(): Array<{ label: string; declaration: Declaration }> {
  return [
    { label: '18 (6 x 3, default)', declaration: defaultDeclaration() },
    { label: '100 (5 x 20)', declaration: scaleDeclaration(5, 20) },
    { label: '500 (25 x 20)', declaration: scaleDeclaration(25, 20) },
  ];
}
