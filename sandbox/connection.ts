// The shape of .sandbox/connection.json (and of what startSandbox() returns as `connection`).
// This is the contract between the sandbox and everything that runs against it (tests, npm start, bench).
// The sandbox never imports from src/, and src/ never imports this: the app sees only `appSettings` as env.

export interface IdentityInfo {
  /** Stable key: 'system' for the app's system-assigned identity, else the wiring key ('app', 'federated') or name. */
  key: string;
  name: string;
  kind: 'system-assigned' | 'user-assigned' | 'app-registration';
  clientId: string;
  principalId: string;
  /** ARM resource ID (user-assigned identities only). */
  resourceId?: string;
}

export interface SandboxConnection {
  scenario: string;
  /** Absolute path of the sandbox CA certificate (PEM). Clients trust it via NODE_EXTRA_CA_CERTS. */
  caCertPath: string;
  tenantId: string;
  subscriptionId: string;
  resourceGroup: string;
  endpoints: {
    /** Admin API origin; routes under /_sandbox/... */
    admin: string;
    /** App Service / Functions managed identity endpoint (full URL, IDENTITY_ENDPOINT). */
    appService: string;
    /** IMDS origin, as AZURE_POD_IDENTITY_AUTHORITY_HOST (no trailing slash). */
    imds: string;
    /** Azure Arc IDENTITY_ENDPOINT (full URL) and IMDS_ENDPOINT (origin). */
    arc: string;
    arcImds: string;
    /** Cloud Shell MSI_ENDPOINT. */
    cloudShell: string;
    /** Service Fabric IDENTITY_ENDPOINT. */
    serviceFabric: string;
    /** Azure ML MSI_ENDPOINT. */
    azureMl: string;
    /** Entra ID authority host (AZURE_AUTHORITY_HOST), https origin. */
    entra: string;
    /** External OIDC identity provider issuer URL. */
    oidcIssuer: string;
    /** Key Vault URL of the world's vault (one origin per vault). */
    keyVault: string;
    /** ARM endpoint (https origin). */
    arm: string;
    /** Blob service URL of the world's storage account (through the RBAC gateway). */
    blob: string;
    /** Stub data plane (https origin) of the catalog targets the sandbox has no emulator for: `<origin>/<target>`. */
    stub: string;
    /** Application Insights ingestion endpoint (https origin; POST /v2.1/track). */
    monitor: string;
  };
  identities: IdentityInfo[];
  /**
   * The principal a person logs in as to administer the world (Owner on the resource group): its client secret is
   * `sourceSecrets.appSecrets[clientId]`. See scripts/sandbox-az.ts.
   */
  operator?: { name: string; clientId: string; principalId: string };
  /** Per-source secrets the compute resource would be given by the platform (never real credentials). */
  sourceSecrets: {
    identityHeader: string;
    msiSecret: string;
    serviceFabricSecret: string;
    serviceFabricThumbprint: string;
    /** Client secret of the world's app registration(s), by client ID. */
    appSecrets: Record<string, string>;
  };
  /** Files the sandbox maintains. */
  files: {
    /** External OIDC token for the federated identity's workload (refreshed before it expires). */
    federatedTokenFile: string;
    /** AKS-style projected token file (AZURE_FEDERATED_TOKEN_FILE) for the same workload. */
    aksTokenFile: string;
  };
  /** Names of the world's resources. */
  resources: {
    keyVaultName: string;
    secretName: string;
    storageAccount: string;
    canaryContainer: string;
    canaryBlob: string;
    statusContainer: string;
  };
  /**
   * The exact environment the function app needs to run against this sandbox as it would on Azure Functions:
   * IDENTITY_ENDPOINT, IDENTITY_HEADER, NODE_EXTRA_CA_CERTS and every setting of the app's settings contract
   * (infra/identity-wiring.json "settings"), plus the local-only switches
   * KEY_VAULT_DISABLE_CHALLENGE_RESOURCE_VERIFICATION=true and AZURE_DISABLE_INSTANCE_DISCOVERY=true.
   */
  appSettings: Record<string, string>;
  /**
   * The probe declaration the world was built from (`--declaration`), when one was: each declared identity's ids,
   * each resource's ARM scope and least role, and the role assignments derived from the `allowed` probes. The
   * values of the `%SETTING%` references it uses are in appSettings.
   */
  declaration?: DeclarationInfo;
}

/** What the connection file shows of the declaration (tests and people read ids and scopes from it). */
export interface DeclarationInfo {
  file: string;
  name: string;
  version: string;
  identities: Record<
    string,
    { principalId: string; clientId: string; resourceId?: string; attached: boolean }
  >;
  resources: Record<string, { kind: string; scope: string; role: string }>;
  /** The role assignments derived from the `allowed` probes. */
  grants: Array<{ identity: string; resource: string; principalId: string; role: string; scope: string }>;
  /** `denied` probes this world lets in anyway (a scenario's role, or an allowed probe's at an enclosing scope). */
  warnings: string[];
}
