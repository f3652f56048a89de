// The one catalog of every error the identity plane returns, each in its real service's wire format
// (docs/design.md "Errors are defined once, in a catalog"; Azurite's StorageErrorFactory is the model).
// Sources, with what is known and what is ours:
// - IMDS (and the IMDS-shaped Arc / Cloud Shell / Azure ML endpoints): `{error, error_description}`
//   (https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token#error-handling;
//   docs/identity-wire.md §3.3). "Identity not found" is the real body
//   (Azure/azure-sdk-for-net#46709, Azure/azure-sdk-for-python#38826).
// - App Service / Functions (2019-08-01): `{statusCode, message, correlationId}` from a Kestrel server. The
//   unassigned-identity body "Unable to load the proper Managed Identity." is real (Azure/azure-sdk-for-net#43691,
//   a Function App with a user-assigned identity). The 401 for a bad X-IDENTITY-HEADER is real
//   (Azure/azure-sdk-for-js#11595); its message wording is ours.
// - Service Fabric: `{"error":{"correlationId","code","message"}}` with the documented codes
//   (azure-docs service-fabric/how-to-managed-identity-service-fabric-app-code.md "Error handling").
// - Azure ML: a bad `secret` header gets a plain-text body "Invalid secret token header: <presented value>"
//   (Azure/azure-sdk-for-net#46932). We do not echo the presented value (it may be a secret).
// - Entra ID: `{error, error_description, error_codes, timestamp, trace_id, correlation_id, error_uri}` with the
//   description carrying "\r\nTrace ID: …\r\nCorrelation ID: …\r\nTimestamp: …" (Azure/azure-workload-identity#616).
//   Codes and messages quoted from real bodies: 70021 (#616, #340), 700211 (#1200), 700213 (Azure/login#482,
//   #379), 7002138 (Azure/login#515, #517), 700024 (Azure/login#180, obikuro/Sato#1),
//   7000272 (Azure/azure-workload-identity#1232), 50013 (microsoftgraph/msgraph-sdk-php#1585), 700016, 90002,
//   7000215, 7000216, 700222 (MicrosoftDocs/azure-docs#90321). Codes marked "(unverified)" below are our best
//   match for a case no public capture shows.
import { randomUUID } from 'node:crypto';
import { retryAfter, SandboxError } from '../core/errors.ts';

// ---------------------------------------------------------------------------------------------------------------
// IMDS-shaped managed identity endpoints (IMDS, Arc, Cloud Shell, Azure ML token errors)
// ---------------------------------------------------------------------------------------------------------------

function imds(status: number, error: string, description: string, headers: Record<string, string> = {}) {
  return SandboxError.json(status, { error, error_description: description }, headers);
}

export const imdsErrors = {
  /** Real IMDS: `Metadata: true` missing (also what the DefaultAzureCredential probe gets, §3.2). */
  metadataRequired: () => imds(400, 'bad_request_102', 'Required metadata header not specified'),
  /**
   * IMDS refuses any request that carries X-Forwarded-For, its sign of a request relayed by a proxy (an SSRF
   * defence: "Requests also must not contain an X-Forwarded-For header", learn.microsoft.com
   * virtual-machines/instance-metadata-service "Security and authentication"). The status is documented; the
   * body wording is ours.
   */
  forwardedRequest: () =>
    imds(
      400,
      'bad_request',
      'Requests with an X-Forwarded-For header are not accepted by the Instance Metadata Service.',
    ),
  /** The requested (or the system) identity is not assigned to this compute resource. */
  identityNotFound: () => imds(400, 'invalid_request', 'Identity not found'),
  missingQuery: (name: string) =>
    imds(400, 'invalid_request', `Required query variable '${name}' is missing`),
  /** A query variable given more than once (wording ours). */
  repeatedQuery: (name: string) =>
    imds(400, 'invalid_request', `Query variable '${name}' is specified more than once`),
  badApiVersion: (v: string) =>
    imds(400, 'invalid_request', `Invalid api-version '${v}'. Supported versions: 2018-02-01 and later.`),
  /** More than one of client_id / object_id / msi_res_id. */
  conflictingSelectors: () =>
    imds(400, 'invalid_request', 'Only one of client_id, object_id and msi_res_id may be specified.'),
  /** AADSTS500011 is what Entra answers for a resource it does not know (IMDS relays it as invalid_resource). */
  invalidResource: (resource: string, tenantId: string) =>
    imds(
      400,
      'invalid_resource',
      `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    ),
  notFound: (path: string) => imds(404, 'not_found', `No route for ${path}`),
  methodNotAllowed: (method: string) =>
    imds(405, 'method_not_allowed', `The method ${method} is not allowed.`),
  /** Arc: `Authorization: Basic` does not carry the contents of a key file the agent handed out. */
  arcUnauthorized: () =>
    imds(
      401,
      'unauthorized_client',
      'The Authorization header does not carry a valid key (unverified wording).',
    ),
  /** Cloud Shell serves only the signed-in identity (here: the system identity). */
  cloudShellUserAssigned: () =>
    imds(400, 'invalid_request', 'User-assigned identities are not supported in Cloud Shell.'),
  azureMlUnsupportedSelector: () =>
    imds(400, 'invalid_request', 'Only clientid is supported to select a user-assigned identity.'),
  /**
   * A `status` fault, with the IMDS error of that status
   * (https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token#error-handling).
   */
  fault: (status: number, retryAfterSeconds?: number) => {
    const h = retryAfter(retryAfterSeconds);
    switch (status) {
      case 404:
        return imds(404, 'not_found', 'IMDS is updating; retry.', h);
      case 410:
        return imds(410, 'gone', 'IMDS is updating; it will be available within 70 seconds.', h);
      case 429:
        return imds(429, 'too_many_requests', 'Too many requests: IMDS is throttling this VM.', h);
      case 500:
        return imds(
          500,
          'unknown',
          'Failed to retrieve token from the Active directory. For details see logs in /var/log/azure/msi.',
          h,
        );
      default:
        return imds(
          status,
          'service_unavailable',
          `The managed identity endpoint answered HTTP ${status}.`,
          h,
        );
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// App Service / Functions (api-version 2019-08-01)
// ---------------------------------------------------------------------------------------------------------------

function appService(status: number, message: string, headers: Record<string, string> = {}) {
  const correlationId = randomUUID();
  return SandboxError.json(
    status,
    { statusCode: status, message, correlationId },
    { 'x-correlation-id': correlationId, ...headers },
  );
}

export const appServiceErrors = {
  identityNotFound: () => appService(400, 'Unable to load the proper Managed Identity.'),
  badIdentityHeader: () => appService(401, 'The X-IDENTITY-HEADER header is missing or invalid.'),
  missingQuery: (name: string) => appService(400, `The '${name}' query parameter is required.`),
  /** Wording ours. */
  repeatedQuery: (name: string) => appService(400, `The '${name}' query parameter is given more than once.`),
  badApiVersion: (v: string) =>
    appService(400, `The api-version '${v}' is not supported. Use api-version 2019-08-01.`),
  conflictingSelectors: () =>
    appService(400, 'Only one of client_id, principal_id (object_id) and mi_res_id may be specified.'),
  notFound: (path: string) => appService(404, `No route for ${path}`),
  methodNotAllowed: (method: string) => appService(405, `The method ${method} is not allowed.`),
  fault: (status: number, retryAfterSeconds?: number) =>
    appService(
      status,
      `The managed identity endpoint answered HTTP ${status}.`,
      retryAfter(retryAfterSeconds),
    ),
};

// ---------------------------------------------------------------------------------------------------------------
// Service Fabric (api-version 2019-07-01-preview): the object form of `error`
// ---------------------------------------------------------------------------------------------------------------

function serviceFabric(status: number, code: string, message: string, headers: Record<string, string> = {}) {
  return SandboxError.json(status, { error: { correlationId: randomUUID(), code, message } }, headers);
}

export const serviceFabricErrors = {
  /** Documented status for this code is not given; 401 is ours (the caller failed to authenticate). */
  secretHeaderNotFound: () =>
    serviceFabric(401, 'SecretHeaderNotFound', 'Secret is not found in the request headers.'),
  /** Documented: 404 "Unknown authentication code, or the application was not assigned a managed identity". */
  managedIdentityNotFound: () =>
    serviceFabric(
      404,
      'ManagedIdentityNotFound',
      'Managed Identity not found for the specified application host.',
    ),
  argumentNullOrEmpty: (name: string) =>
    serviceFabric(400, 'ArgumentNullOrEmpty', `The parameter '${name}' cannot be null or empty.`),
  /** Code and wording ours (no documented code for it). */
  repeatedParameter: (name: string) =>
    serviceFabric(400, 'InvalidParameter', `The parameter '${name}' is specified more than once.`),
  invalidApiVersion: (v: string) =>
    serviceFabric(
      400,
      'InvalidApiVersion',
      `The api-version '${v}' is not supported. Supported version is '2019-07-01-preview'.`,
    ),
  /** SF serves only the application's own (system) identity to the JS client (docs/identity-wire.md §8). */
  userAssignedNotSupported: () =>
    serviceFabric(
      400,
      'InvalidParameter',
      'Selecting a user-assigned identity is not supported (unverified wording).',
    ),
  notFound: (path: string) => serviceFabric(404, 'NotFound', `No route for ${path}`),
  methodNotAllowed: (method: string) =>
    serviceFabric(405, 'MethodNotAllowed', `The method ${method} is not allowed.`),
  fault: (status: number, retryAfterSeconds?: number) =>
    status === 429
      ? serviceFabric(429, 'TooManyRequests', 'Throttling limit reached.', retryAfter(retryAfterSeconds))
      : serviceFabric(status, 'InternalServerError', 'An error occurred.', retryAfter(retryAfterSeconds)),
};

// ---------------------------------------------------------------------------------------------------------------
// Azure ML (api-version 2017-09-01)
// ---------------------------------------------------------------------------------------------------------------

export const azureMlErrors = {
  /** Plain text, as the real endpoint answers (Azure/azure-sdk-for-net#46932); status 401 is ours. */
  invalidSecret: () =>
    new SandboxError(401, { contentType: 'text/plain; charset=utf-8', text: 'Invalid secret token header.' }),
};

// Entra ID: in entraErrors.ts (its own catalog, the largest).
export { entraErrors, type EntraErrorContext } from './entraErrors.ts';

// ---------------------------------------------------------------------------------------------------------------
// The external OIDC identity provider (ours: a plain OAuth-style JSON error)
// ---------------------------------------------------------------------------------------------------------------

export const oidcErrors = {
  unknownWorkload: (name: string, known: string[]) =>
    SandboxError.json(404, {
      error: 'unknown_workload',
      error_description: `No workload named '${name}'. Known: ${known.join(', ') || '(none)'}.`,
    }),
  invalidRequest: (description: string) =>
    SandboxError.json(400, { error: 'invalid_request', error_description: description }),
  repeatedParameter: (name: string) =>
    SandboxError.json(400, {
      error: 'invalid_request',
      error_description: `The parameter '${name}' is given more than once.`,
    }),
  notFound: (path: string) =>
    SandboxError.json(404, { error: 'not_found', error_description: `No route for ${path}` }),
  methodNotAllowed: (method: string) =>
    SandboxError.json(405, {
      error: 'method_not_allowed',
      error_description: `The method ${method} is not allowed.`,
    }),
  fault: (status: number, retryAfterSeconds?: number) =>
    SandboxError.json(
      status,
      {
        error: status === 429 ? 'slow_down' : 'server_error',
        error_description: `Injected fault: HTTP ${status}.`,
      },
      retryAfter(retryAfterSeconds),
    ),
};
