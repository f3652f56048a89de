// The Entra ID part of the identity plane's error catalog (errors.ts): `{error, error_description, error_codes,
// timestamp, trace_id, correlation_id, error_uri}`, with the sources of each code listed in errors.ts.
import { randomUUID } from 'node:crypto';
import { retryAfter, SandboxError } from '../core/errors.ts';

// ---------------------------------------------------------------------------------------------------------------
// Entra ID
// ---------------------------------------------------------------------------------------------------------------

export interface EntraErrorContext {
  /** The client's `client-request-id`, echoed as the correlation id (as Entra does). */
  correlationId?: string;
}

/** Entra's timestamp format: "2022-10-27 23:39:22Z". */
function entraTimestamp(d = new Date()): string {
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function entra(
  status: number,
  error: string,
  code: number,
  message: string,
  ctx: EntraErrorContext = {},
  headers: Record<string, string> = {},
): SandboxError {
  const traceId = randomUUID();
  const correlationId = ctx.correlationId && GUID.test(ctx.correlationId) ? ctx.correlationId : randomUUID();
  const timestamp = entraTimestamp();
  return SandboxError.json(
    status,
    {
      error,
      error_description: `AADSTS${code}: ${message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
    {
      'cache-control': 'no-store, no-cache',
      pragma: 'no-cache',
      'x-ms-request-id': traceId,
      'client-request-id': correlationId,
      ...headers,
    },
  );
}

const WIF_DOC =
  'https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation';
const WIF_LEARN = 'https://learn.microsoft.com/entra/workload-id/workload-identity-federation';
const CERT_DOC = 'https://learn.microsoft.com/entra/identity-platform/certificate-credentials';

/** Entra's ISO time with 7 fractional digits, as in AADSTS700024. */
function entraTime(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

/** AADSTS90002, the same wording on the token endpoint and in the OpenID metadata. */
function tenantNotFoundMessage(tenant: string): string {
  return `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`;
}

export const entraErrors = {
  tenantNotFound: (tenant: string, c?: EntraErrorContext) =>
    entra(400, 'invalid_request', 90002, tenantNotFoundMessage(tenant), c),
  /** The OpenID metadata of an unknown tenant answers `invalid_tenant` (same AADSTS code). */
  tenantNotFoundMetadata: (tenant: string, c?: EntraErrorContext) =>
    entra(400, 'invalid_tenant', 90002, tenantNotFoundMessage(tenant), c),
  invalidTenantIdentifier: (tenant: string, c?: EntraErrorContext) =>
    entra(
      400,
      'invalid_request',
      900023,
      `Specified tenant identifier '${tenant}' is neither a valid DNS name, nor a valid external domain.`,
      c,
    ),
  missingParameter: (name: string, c?: EntraErrorContext) =>
    entra(
      400,
      'invalid_request',
      900144,
      `The request body must contain the following parameter: '${name}'.`,
      c,
    ),
  /** A parameter given twice in the query or the form (AADSTS9000411, Entra's message). */
  duplicatedParameter: (name: string, c?: EntraErrorContext) =>
    entra(
      400,
      'invalid_request',
      9000411,
      `The request is not properly formatted. The parameter '${name}' is duplicated.`,
      c,
    ),
  unsupportedGrantType: (grant: string, c?: EntraErrorContext) =>
    entra(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant}'.`, c),
  invalidScope: (scope: string, c?: EntraErrorContext) =>
    entra(
      400,
      'invalid_scope',
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      c,
    ),
  /** (unverified code) A client_assertion_type other than jwt-bearer. */
  invalidAssertionType: (type: string, c?: EntraErrorContext) =>
    entra(400, 'invalid_request', 50027, `The client_assertion_type '${type}' is not supported.`, c),
  credentialRequired: (c?: EntraErrorContext) =>
    entra(
      401,
      'invalid_client',
      7000216,
      "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
      c,
    ),
  unknownClient: (clientId: string, tenant: string, c?: EntraErrorContext) =>
    entra(
      400,
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      c,
    ),
  invalidClientSecret: (clientId: string, c?: EntraErrorContext) =>
    entra(
      401,
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      c,
    ),
  /** (unverified code) alg none, an algorithm Entra does not accept, or a token that is not a JWS. */
  malformedAssertion: (why: string, c?: EntraErrorContext) =>
    entra(400, 'invalid_request', 50027, `JWT token is invalid or malformed. ${why}`, c),
  /**
   * The 2022 form (Azure/azure-workload-identity#616): still what Entra answers when the client holds no federated
   * credential at all (Azure DevOps' workload identity troubleshooting table lists it for "no federated credential was
   * created").
   */
  noFederatedIdentityRecord: (iss: string, sub: string, aud: string, c?: EntraErrorContext) =>
    entra(
      400,
      'invalid_request',
      70021,
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. Assertion Audience: '${aud}'. ${WIF_DOC}`,
      c,
    ),
  /** No credential of the client names the assertion's issuer (Azure/azure-workload-identity#1200, 2024). */
  issuerMismatch: (iss: string, c?: EntraErrorContext) =>
    entra(
      401,
      'invalid_client',
      700211,
      `No matching federated identity record found for presented assertion issuer '${iss}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${WIF_DOC}`,
      c,
    ),
  /** The issuer matches, the subject matches none (Azure/login#482, #379; dotnet/maui#31978, 2025 wording). */
  subjectMismatch: (sub: string, c?: EntraErrorContext) =>
    entra(
      401,
      'invalid_client',
      700213,
      `No matching federated identity record found for presented assertion subject '${sub}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${WIF_LEARN}`,
      c,
    ),
  /** The subject matches a credential only when case is ignored (Azure/login#515, #517; matching is exact). */
  subjectCaseMismatch: (sub: string, c?: EntraErrorContext) =>
    entra(
      401,
      'invalid_client',
      7002138,
      `No matching federated identity record found for presented assertion subject '${sub}'. The subject matches with case-insensitive comparison, but not with case-sensitive comparison. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. See documentation at: ${WIF_LEARN}. See breaking change notification and remediation at: https://learn.microsoft.com/en-us/entra/identity-platform/reference-breaking-changes#august-2024.`,
      c,
    ),
  /**
   * Issuer and subject match a credential whose audience is not the assertion's. No public capture shows this
   * body; its wording follows the 700211 and 700213 ones, with the code the same family uses for the audience.
   */
  audienceMismatch: (aud: string, c?: EntraErrorContext) =>
    entra(
      401,
      'invalid_client',
      700212,
      `No matching federated identity record found for presented assertion audience '${aud}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${WIF_LEARN}`,
      c,
    ),
  assertionOutsideValidity: (
    nowSeconds: number,
    nbf: number | undefined,
    exp: number,
    c?: EntraErrorContext,
  ) =>
    entra(
      401,
      'invalid_client',
      700024,
      `Client assertion is not within its valid time range. Current time: ${entraTime(nowSeconds)}, assertion valid from ${entraTime(nbf ?? 0)}, expiry time of assertion ${entraTime(exp)}. Review the documentation at ${CERT_DOC} .`,
      c,
    ),
  /** The key (kid) that signed the assertion is not in the issuer's published keys. */
  signingKeyNotFound: (kid: string, issuer: string, c?: EntraErrorContext) =>
    entra(
      401,
      'invalid_client',
      7000272,
      `The certificate with identifier ${kid} used to sign the federated credential could not be found in the metadata of identity provider ${issuer}. Please validate that your Identity Provider's metadata exposes the key used to sign the incoming token.`,
      c,
    ),
  /** The key was found but the signature does not verify with it. */
  signatureInvalid: (kid: string, c?: EntraErrorContext) =>
    entra(
      401,
      'invalid_client',
      50013,
      `Assertion failed signature validation. [Reason - Key was found, but use of the key to verify the signature failed., Thumbprint of key used by client: '${kid}']`,
      c,
    ),
  /** The issuer's discovery document or keys could not be fetched over HTTPS. */
  issuerUnreachable: (issuer: string, c?: EntraErrorContext) =>
    entra(400, 'invalid_request', 50166, `Request to External OIDC endpoint failed. Issuer: '${issuer}'.`, c),
  /** Tokens Entra issued cannot be federated (MicrosoftDocs/azure-docs#90321). */
  entraIssuedAssertion: (c?: EntraErrorContext) =>
    entra(
      400,
      'invalid_request',
      700222,
      'AAD-issued tokens may not be used for federated identity flows.',
      c,
    ),
  /** A certificate assertion (iss = sub = client id) for an app with no certificate registered. */
  certificateNotRegistered: (clientId: string, c?: EntraErrorContext) =>
    entra(
      401,
      'invalid_client',
      700027,
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'.]`,
      c,
    ),
  invalidInstance: (c?: EntraErrorContext) =>
    entra(400, 'invalid_instance', 50049, 'Unknown or invalid instance.', c),
  notFound: (path: string, c?: EntraErrorContext) =>
    entra(404, 'invalid_request', 900561, `The endpoint ${path} does not exist (unverified code).`, c),
  methodNotAllowed: (method: string, c?: EntraErrorContext) =>
    entra(
      405,
      'invalid_request',
      900561,
      `The endpoint only accepts POST requests. Received a ${method} request.`,
      c,
    ),
  /** A `status` fault in Entra's format. */
  fault: (status: number, retryAfterSeconds?: number) => {
    const h = retryAfter(retryAfterSeconds);
    if (status === 429)
      return entra(
        429,
        'temporarily_unavailable',
        90055,
        'TenantThrottlingError: There are too many incoming requests (injected fault; unverified code).',
        {},
        h,
      );
    if (status >= 500)
      return entra(
        status,
        'temporarily_unavailable',
        90033,
        'A transient error has occurred. Please try again.',
        {},
        h,
      );
    return entra(status, 'invalid_request', 900561, `Injected fault: HTTP ${status}.`, {}, h);
  },
};
