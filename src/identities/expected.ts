// The identity each path must come back as, derived from settings only (infra/identity-wiring.json "settings").
import type { Config } from '../config.ts';
import type { ExpectedClaim, ExpectedIdentity } from '../core/plugins.ts';

function claim(value: string | undefined, setting: string): ExpectedClaim | undefined {
  return value ? { value, setting } : undefined;
}

function tenant(config: Config): ExpectedClaim | undefined {
  return claim(config.tenantId, 'AZURE_TENANT_ID');
}

export function systemIdentity(config: Config): ExpectedIdentity {
  return {
    description: "the app's system-assigned identity",
    oid: claim(config.systemPrincipalId, 'SYSTEM_PRINCIPAL_ID'),
    tid: tenant(config),
    selector: { kind: 'system' },
  };
}

/** The attached user-assigned identity, whichever selector reaches it. */
export function uamiIdentity(config: Config, selector: ExpectedIdentity['selector']): ExpectedIdentity {
  return {
    description: 'the user-assigned identity attached to the app',
    oid: claim(config.uami.objectId, 'UAMI_OBJECT_ID'),
    appid: claim(config.uami.clientId, 'UAMI_CLIENT_ID'),
    xmsMirid: claim(config.uami.resourceId, 'UAMI_RESOURCE_ID'),
    tid: tenant(config),
    selector,
    resourceId: config.uami.resourceId,
  };
}

export function federatedIdentity(config: Config): ExpectedIdentity {
  return {
    description: 'the federated user-assigned identity',
    oid: claim(config.federated.principalId, 'FEDERATED_PRINCIPAL_ID'),
    appid: claim(config.federated.clientId, 'FEDERATED_CLIENT_ID'),
    tid: tenant(config),
    selector: { kind: 'clientAssertion', value: config.federated.clientId, setting: 'FEDERATED_CLIENT_ID' },
  };
}

/** Whether AZURE_CLIENT_ID names the attached user-assigned identity (UAMI_CLIENT_ID). */
export function defaultChainNamesUami(config: Config): boolean {
  const clientId = config.defaultChain.clientId;
  return clientId !== undefined && clientId.toLowerCase() === config.uami.clientId?.toLowerCase();
}

/**
 * DefaultAzureCredential must come back as the identity AZURE_CLIENT_ID names: when that is the attached UAMI,
 * the UAMI's oid is known; otherwise only appid can be checked. Without AZURE_CLIENT_ID the chain's managed
 * identity is the system-assigned one (docs/identity-wire.md §12.3).
 */
export function defaultChainIdentity(config: Config): ExpectedIdentity {
  const clientId = config.defaultChain.clientId;
  if (!clientId)
    return {
      ...systemIdentity(config),
      description: "the app's system-assigned identity (AZURE_CLIENT_ID unset)",
    };
  const selector = { kind: 'clientId', value: clientId, setting: 'AZURE_CLIENT_ID' } as const;
  if (defaultChainNamesUami(config))
    return { ...uamiIdentity(config, selector), appid: { value: clientId, setting: 'AZURE_CLIENT_ID' } };
  return {
    description: 'the identity whose client ID is AZURE_CLIENT_ID',
    appid: { value: clientId, setting: 'AZURE_CLIENT_ID' },
    tid: tenant(config),
    selector,
  };
}
