// Every error the sandbox's Resource Manager returns, in ARM's wire format (docs/data-plane.md §2.3):
// `{"error":{"code","message"}}` with the gateway's headers (`x-ms-failure-cause: gateway`, request and correlation
// ids). 401s carry ARM's `WWW-Authenticate` challenge.
import { randomUUID } from 'node:crypto';
import { SandboxError } from '../../core/errors.ts';
import type { BearerError } from '../auth.ts';

/** The allowed audiences as the real message lists them (same set as auth.ts ARM_AUDIENCES). */
const ALLOWED_AUDIENCES_TEXT =
  "'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'";

function armHeaders(extra: Record<string, string> = {}, gateway = true): Record<string, string> {
  const id = randomUUID();
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return {
    'cache-control': 'no-cache',
    pragma: 'no-cache',
    expires: '-1',
    ...(gateway ? { 'x-ms-failure-cause': 'gateway' } : {}),
    'x-ms-request-id': id,
    'x-ms-correlation-request-id': id,
    'x-ms-routing-request-id': `WESTEUROPE:${stamp}:${id}`,
    'x-content-type-options': 'nosniff',
    ...extra,
  };
}

export function armError(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
  gateway = true,
) {
  return SandboxError.json(status, { error: { code, message } }, armHeaders(headers, gateway));
}

/** `Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="…"` (§2.3). */
function challenge(description: string): Record<string, string> {
  return {
    'www-authenticate': `Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="${description}"`,
  };
}

/** .NET's invariant "M/d/yyyy h:mm:ss tt" in UTC, as the ExpiredAuthenticationToken message prints times. */
export function dotnetUtc(epochMs: number): string {
  const d = new Date(epochMs);
  const h = d.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h % 12 === 0 ? 12 : h % 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

export const armErrors = {
  /** A request the server's HTTP parser refused (core/server.ts renderRejection). */
  requestRejected(status: number, code: string, message: string): SandboxError {
    return armError(status, code, message);
  },

  missingAuthorization(): SandboxError {
    return armError(
      401,
      'AuthenticationFailed',
      "Authentication failed. The 'Authorization' header is missing.",
      challenge("The authentication failed because of missing 'Authorization' header."),
    );
  },

  invalidHeader(): SandboxError {
    return armError(
      401,
      'AuthenticationFailedInvalidHeader',
      "Authentication failed. The 'Authorization' header is provided in an invalid format.",
      challenge("The authentication failed because of invalid 'Authorization' header format."),
    );
  },

  invalidToken(err: BearerError, tenantId: string): SandboxError {
    if (err.kind === 'missing') return armErrors.missingAuthorization();
    if (err.kind === 'scheme') return armErrors.invalidHeader();
    const t = err.token;
    switch (err.reason) {
      case 'expired': {
        // microsoft/vscode-azureappservice#2483, microsoft/foundry-dev-tools#461.
        const message = `The access token expiry UTC time '${dotnetUtc((t.exp ?? 0) * 1000)}' is earlier than current UTC time '${dotnetUtc(Date.now())}'.`;
        return armError(
          401,
          'ExpiredAuthenticationToken',
          message,
          challenge('The access token expiry UTC time is earlier than current UTC time.'),
        );
      }
      case 'audience': {
        // Azure-Samples/active-directory-dotnetcore-daemon-v2#145.
        const message = `The access token has been obtained for wrong audience or resource '${t.aud ?? ''}'. It should exactly match with one of the allowed audiences ${ALLOWED_AUDIENCES_TEXT}.`;
        return armError(
          401,
          'InvalidAuthenticationTokenAudience',
          message,
          challenge('The access token has been obtained for wrong audience or resource.'),
        );
      }
      case 'issuer': {
        const message = `The access token is from the wrong issuer '${t.iss ?? ''}'. It must match the tenant 'https://sts.windows.net/${tenantId}/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/${tenantId}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.`;
        return armError(
          401,
          'InvalidAuthenticationTokenTenant',
          message,
          challenge('The access token is from the wrong issuer.'),
        );
      }
      default:
        return armError(
          401,
          'InvalidAuthenticationToken',
          'The access token is invalid.',
          challenge('The access token is invalid.'),
        );
    }
  },

  /**
   * 403 AuthorizationFailed with the exact real message (azure-cli#29802, MicrosoftDocs/azure-docs#122458): the client
   * is the appid for service principals; action and scope are printed with `resourcegroups` lowercased (§2.3).
   */
  authorizationFailed(client: string, oid: string, action: string, scope: string): SandboxError {
    const lowerRg = (x: string) => x.replace(/\/resourceGroups\//gi, '/resourcegroups/');
    const message = `The client '${client}' with object id '${oid}' does not have authorization to perform action '${lowerRg(action)}' over scope '${lowerRg(scope)}' or the scope is invalid. If access was recently granted, please refresh your credentials.`;
    return armError(403, 'AuthorizationFailed', message);
  },

  missingApiVersion(): SandboxError {
    return armError(
      400,
      'MissingApiVersionParameter',
      'The api-version query parameter (?api-version=) is required for all requests.',
    );
  },

  /** Microsoft.Resources and Microsoft.Authorization: the list as the real message prints it (comma, no space). */
  invalidApiVersion(value: string, supported: readonly string[]): SandboxError {
    return armError(
      400,
      'InvalidApiVersionParameter',
      `The api-version '${value}' is invalid. The supported versions are '${supported.join(',')}'.`,
    );
  },

  /** A resource provider's type: the real message lists versions and locations with ", ". */
  noRegisteredProvider(
    value: string,
    typeName: string,
    supported: readonly string[],
    location: string,
  ): SandboxError {
    return armError(
      400,
      'NoRegisteredProviderFound',
      `No registered resource provider found for location '${location}' and API version '${value}' for type '${typeName}'. The supported api-versions are '${supported.join(', ')}'. The supported locations are '${location}'.`,
    );
  },

  /**
   * A write that links another resource the caller may not use (e.g. attaching a user-assigned identity to a site
   * needs `userAssignedIdentities/assign/action` on the identity).
   */
  linkedAuthorizationFailed(
    client: string,
    oid: string,
    action: string,
    scope: string,
    linkedAction: string,
    linkedScope: string,
  ): SandboxError {
    return armError(
      403,
      'LinkedAuthorizationFailed',
      `The client '${client}' with object id '${oid}' has permission to perform action '${action}' on scope '${scope}'; however, it does not have permission to perform action(s) '${linkedAction}' on the linked scope(s) '${linkedScope}' (respectively) or the linked scope(s) are invalid.`,
    );
  },

  roleAssignmentExists(): SandboxError {
    return armError(409, 'RoleAssignmentExists', 'The role assignment already exists.', {}, false);
  },

  roleAssignmentUpdateNotPermitted(): SandboxError {
    return armError(
      409,
      'RoleAssignmentUpdateNotPermitted',
      'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.',
      {},
      false,
    );
  },

  /** The principal is not in the directory; the hint about principalType is part of the real message. */
  principalNotFound(principalId: string, tenantId: string): SandboxError {
    return armError(
      400,
      'PrincipalNotFound',
      `Principal ${principalId.replace(/-/g, '')} does not exist in the directory ${tenantId}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype`,
      {},
      false,
    );
  },

  /** A request body the resource provider cannot use. */
  badRequest(code: string, message: string): SandboxError {
    return armError(400, code, message, {}, false);
  },

  subscriptionNotFound(sub: string): SandboxError {
    return armError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`);
  },

  resourceGroupNotFound(rg: string): SandboxError {
    return armError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`, {}, false);
  },

  resourceNotFound(type: string, name: string, rg: string): SandboxError {
    return armError(
      404,
      'ResourceNotFound',
      `The Resource '${type}/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      {},
      false,
    );
  },

  roleAssignmentNotFound(): SandboxError {
    return armError(404, 'RoleAssignmentNotFound', 'The role assignment does not exist.', {}, false);
  },

  roleDefinitionNotFound(): SandboxError {
    return armError(
      404,
      'RoleDefinitionDoesNotExist',
      'The specified role definition does not exist.',
      {},
      false,
    );
  },

  invalidFilter(filter: string): SandboxError {
    return armError(
      400,
      'InvalidFilterInQueryString',
      `Invalid $filter '${filter}' specified in the query string.`,
    );
  },

  invalidQueryParameter(name: string, value: string): SandboxError {
    return armError(
      400,
      'InvalidQueryParameterValue',
      `Invalid value '${value}' for query parameter '${name}'.`,
    );
  },

  /** A path the sandbox does not serve (sandbox wording; ARM answers unknown types with InvalidResourceType). */
  notServed(path: string): SandboxError {
    return armError(404, 'InvalidResourceType', `The sandbox's Resource Manager does not serve '${path}'.`);
  },

  methodNotAllowed(method: string): SandboxError {
    return armError(
      405,
      'MethodNotAllowed',
      `The HTTP method '${method}' is not supported for this resource.`,
    );
  },

  /** A `status` fault in ARM's format: 429 is ARM's token-bucket throttle (aka.ms/arm-throttling). */
  fault(
    status: number,
    ctx: { subscriptionId: string; oid?: string },
    retryAfterSeconds?: number,
  ): SandboxError {
    const headers: Record<string, string> = {};
    if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
    const id = randomUUID();
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    switch (status) {
      case 429:
        headers['x-ms-ratelimit-remaining-subscription-reads'] = '0';
        return armError(
          429,
          'SubscriptionRequestsThrottled',
          `Number of 'read' requests for subscription '${ctx.subscriptionId}' actor '${ctx.oid ?? 'unknown'}' exceeded. Please try again after '${retryAfterSeconds ?? 5}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling`,
          headers,
        );
      case 500:
        return armError(
          500,
          'InternalServerError',
          `Encountered internal server error. Diagnostic information: timestamp '${stamp}', subscription id '${ctx.subscriptionId}', tracking id '${id}', request correlation id '${id}'.`,
          headers,
        );
      case 503:
        return armError(
          503,
          'ServiceUnavailable',
          'The service is currently unavailable. Please try again later.',
          headers,
        );
      case 504:
        return armError(
          504,
          'GatewayTimeout',
          "The gateway did not receive a response from 'Microsoft.Resources' within the specified time period.",
          headers,
        );
      default:
        return armError(status, `Http${status}`, `The request failed with HTTP status ${status}.`, headers);
    }
  },
};
