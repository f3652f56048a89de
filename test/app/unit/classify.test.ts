// Classifier tests on the real error classes the SDKs throw (RestError from core-rest-pipeline, the
// @azure/identity errors) with the real messages and bodies quoted in the reference docs.
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import { describe, it } from 'node:test';
import { createHttpHeaders, createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import {
  AggregateAuthenticationError,
  AuthenticationError,
  AuthenticationRequiredError,
  CredentialUnavailableError,
} from '@azure/identity';
import { FederatedTokenSourceError } from '../../../src/identities/federatedTokenSource.ts';
import {
  classify,
  MAX_MESSAGE_LENGTH,
  ProbeDeadlineError,
  serviceScope,
  type ClassifyContext,
} from '../../../src/probes/classify.ts';
import { TargetCheckError } from '../../../src/targets/index.ts';
import { signJwt } from '../helpers/jwt.ts';

const call: ClassifyContext = {
  tokenFailed: false,
  tokenPending: false,
  managedIdentitySource: 'AppService',
  usesManagedIdentity: true,
};
const token: ClassifyContext = { ...call, tokenFailed: true };

function restError(
  statusCode: number,
  code: string | undefined,
  message: string,
  headers: Record<string, string> = {},
  details?: unknown,
) {
  const request = createPipelineRequest({
    url: 'https://kv-x.vault.azure.net/secrets/canary/?api-version=2025-07-01',
  });
  const err = new RestError(message, {
    statusCode,
    code,
    request,
    response: { status: statusCode, headers: createHttpHeaders(headers), request },
  });
  if (details) err.details = details;
  return err;
}

const KV_RBAC_MESSAGE = [
  'Caller is not authorized to perform action on resource.',
  'If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.',
  'Caller: appid=57b12e89-41f9-4736-aa94-667e627225ef;oid=63b2d18a-12b0-4881-b036-8fda3dae8b69;iss=https://sts.windows.net/0ddb16eb-3bbd-4edd-9043-81e700fd85cd/',
  "Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'",
  "Resource: '/subscriptions/fede0978-e421-4650-9304-746eefba010e/resourcegroups/rg-identity-probes/providers/microsoft.keyvault/vaults/kv-identity-probes/secrets/canary'",
  'Assignment: (not found)',
  "DecisionReason: 'DeniedWithNoValidRBAC'",
].join('\r\n');

async function realConnectionRefused(): Promise<Error> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return new Promise((resolve) => connect(port, '127.0.0.1').on('error', resolve));
}

describe('classify: resource errors (RestError)', () => {
  it('Key Vault 403 ForbiddenByRbac -> forbidden/rbac with the vault scope from the message', () => {
    const err = restError(
      403,
      'Forbidden',
      KV_RBAC_MESSAGE,
      { 'x-ms-request-id': 'req-1' },
      {
        error: { code: 'Forbidden', message: KV_RBAC_MESSAGE, innerError: { code: 'ForbiddenByRbac' } },
      },
    );
    const c = classify(err, call);
    assert.equal(c.kind, 'forbidden');
    assert.equal(c.reason, 'rbac');
    assert.equal(c.detail.innerCode, 'ForbiddenByRbac');
    assert.equal(c.detail.requestId, 'req-1');
    assert.equal(c.detail.statusCode, 403);
    assert.equal(c.detail.phase, 'call');
    assert.equal(
      c.scope,
      '/subscriptions/fede0978-e421-4650-9304-746eefba010e/resourcegroups/rg-identity-probes/providers/microsoft.keyvault/vaults/kv-identity-probes',
    );
  });

  it('Key Vault access-policy, firewall and disabled-secret 403s are told apart', () => {
    const inner = (code: string) => ({ error: { code: 'Forbidden', innerError: { code } } });
    assert.equal(
      classify(restError(403, 'Forbidden', 'no get', {}, inner('AccessDenied')), call).reason,
      'access-policy',
    );
    assert.equal(
      classify(restError(403, 'Forbidden', 'fw', {}, inner('ForbiddenByFirewall')), call).reason,
      'firewall',
    );
    assert.equal(
      classify(
        restError(
          403,
          'Forbidden',
          'Operation get is not allowed on a disabled secret.',
          {},
          inner('SecretDisabled'),
        ),
        call,
      ).reason,
      'secret-disabled',
    );
    assert.equal(
      classify(
        restError(403, 'AuthorizationFailure', 'This request is not authorized to perform this operation.'),
        call,
      ).reason,
      'firewall',
    );
  });

  it('ARM 403 AuthorizationFailed, with and without the message v8 paging drops', () => {
    const paged = classify(
      restError(403, 'AuthorizationFailed', 'Pagination failed with unexpected statusCode 403', {
        'x-ms-correlation-request-id': '11111111-2222-3333-4444-555555555555',
      }),
      call,
    );
    assert.equal(paged.kind, 'forbidden');
    assert.equal(paged.detail.code, 'AuthorizationFailed');
    assert.equal(paged.detail.correlationId, '11111111-2222-3333-4444-555555555555');
    const full = classify(
      restError(
        403,
        'AuthorizationFailed',
        "The client '57b1' with object id 'dc02' does not have authorization to perform action 'Microsoft.Resources/subscriptions/resourcegroups/resources/read' over scope '/subscriptions/s/resourcegroups/rg' or the scope is invalid.",
      ),
      call,
    );
    assert.equal(full.scope, '/subscriptions/s/resourcegroups/rg');
  });

  it('Blob 403 AuthorizationPermissionMismatch -> forbidden; 403 AuthenticationFailed -> unauthenticated', () => {
    assert.equal(
      classify(
        restError(
          403,
          'AuthorizationPermissionMismatch',
          'This request is not authorized to perform this operation using this permission.',
        ),
        call,
      ).kind,
      'forbidden',
    );
    assert.equal(
      classify(restError(403, 'AuthenticationFailed', 'Server failed to authenticate the request.'), call)
        .kind,
      'unauthenticated',
    );
  });

  it('401s: expired token, wrong audience, anything else', () => {
    const expired = classify(
      restError(
        401,
        'ExpiredAuthenticationToken',
        "The access token expiry UTC time '1/1/2020 1:00:00 AM' is earlier than current UTC time",
      ),
      call,
    );
    assert.deepEqual([expired.kind, expired.reason], ['unauthenticated', 'expired-token']);
    const aud = classify(
      restError(
        401,
        'InvalidAuthenticationTokenAudience',
        "The access token has been obtained for wrong audience or resource 'x'.",
      ),
      call,
    );
    assert.deepEqual([aud.kind, aud.reason], ['unauthenticated', 'wrong-audience']);
    const blob = classify(
      restError(
        401,
        'InvalidAuthenticationInfo',
        'Server failed to authenticate the request. Audience validation failed. Audience did not match.',
      ),
      call,
    );
    assert.deepEqual([blob.kind, blob.reason], ['unauthenticated', 'wrong-audience']);
    assert.deepEqual(
      classify(restError(401, 'Unauthorized', 'AKV10022: Invalid issuer.'), call).reason,
      'invalid-token',
    );
  });

  it('404s keep the service code as the reason', () => {
    assert.deepEqual(
      Object.values(
        pick(
          classify(
            restError(
              404,
              'SecretNotFound',
              'A secret with (name/id) canary was not found in this key vault.',
            ),
            call,
          ),
        ),
      ),
      ['not-found', 'SecretNotFound'],
    );
    assert.deepEqual(
      Object.values(
        pick(
          classify(restError(404, 'ResourceGroupNotFound', "Resource group 'rg' could not be found."), call),
        ),
      ),
      ['not-found', 'ResourceGroupNotFound'],
    );
    assert.deepEqual(
      Object.values(
        pick(classify(restError(404, 'ContainerNotFound', 'The specified container does not exist.'), call)),
      ),
      ['not-found', 'ContainerNotFound'],
    );
    assert.deepEqual(
      Object.values(pick(classify(new TargetCheckError('no blob', 'CanaryBlobNotFound', 404), call))),
      ['not-found', 'CanaryBlobNotFound'],
    );
  });

  it('429 -> throttled with Retry-After; 5xx -> error; 504 -> timeout', () => {
    const t = classify(restError(429, 'TooManyRequests', 'Too many requests', { 'retry-after': '7' }), call);
    assert.equal(t.kind, 'throttled');
    assert.equal(t.detail.retryAfterSeconds, 7);
    assert.equal(classify(restError(500, 'InternalError', 'boom'), call).kind, 'error');
    assert.equal(classify(restError(503, 'ServiceUnavailable', 'busy'), call).kind, 'error');
    assert.equal(classify(restError(504, 'GatewayTimeout', 'slow'), call).kind, 'timeout');
  });

  it('network errors -> unreachable (real ECONNREFUSED, reset, socket hang up, DNS), TLS distinguished', async () => {
    const refused = await realConnectionRefused();
    assert.equal((refused as NodeJS.ErrnoException).code, 'ECONNREFUSED');
    const viaPipeline = new RestError(refused.message, {
      code: 'ECONNREFUSED',
      request: createPipelineRequest({ url: 'https://127.0.0.1:9/x?sig=abc' }),
    });
    const c = classify(viaPipeline, call);
    assert.deepEqual(
      [c.kind, c.detail.code, c.detail.endpoint],
      ['unreachable', 'ECONNREFUSED', 'https://127.0.0.1:9'],
    );
    assert.equal(
      classify(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), call).kind,
      'unreachable',
    );
    assert.equal(
      classify(new RestError('getaddrinfo ENOTFOUND kv-x.vault.azure.net', { code: 'ENOTFOUND' }), call).kind,
      'unreachable',
    );
    const tls = classify(
      new RestError('unable to verify the first certificate', { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }),
      call,
    );
    assert.deepEqual([tls.kind, tls.reason], ['unreachable', 'tls']);
  });

  it('Key Vault challenge resource mismatch -> misconfigured naming KEY_VAULT_URL', () => {
    const c = classify(
      new Error(
        "The challenge resource 'vault.azure.net' does not match the requested domain. Set disableChallengeResourceVerification to true in your client options to disable.",
      ),
      call,
    );
    assert.deepEqual([c.kind, c.detail.setting], ['misconfigured', 'KEY_VAULT_URL']);
  });
});

function pick(c: { kind: string; reason: string }) {
  return { kind: c.kind, reason: c.reason };
}

describe('classify: credential errors (@azure/identity)', () => {
  const MI_NOT_FOUND =
    'ManagedIdentityCredential: Authentication failed. Message invalid_request: Error(s): Not Available - Timestamp: 2026-11-22 08:00:00 - Description: Identity not found - Correlation ID: 0f4a2b7e-1c9d-4e5f-8a6b-7c8d9e0f1a2b - Trace ID: Not Available';

  it('App Service 400 "Unable to load the proper Managed Identity." -> identity-not-found, not "Not Available"', () => {
    const appService = new CredentialUnavailableError(
      'ManagedIdentityCredential: Authentication failed. Message : Error(s): Not Available - Timestamp: Not Available - Description: Unable to load the proper Managed Identity. - Correlation ID: 1bb1d708-677f-4e2b-9e67-7e707e68b98a - Trace ID: Not Available',
    );
    assert.deepEqual(pick(classify(appService, token)), {
      kind: 'identity-not-found',
      reason: 'not-assigned',
    });
    const throttled = new CredentialUnavailableError(
      'ManagedIdentityCredential: Authentication failed. Message : Error(s): Not Available - Timestamp: Not Available - Description: The managed identity endpoint answered HTTP 429. - Correlation ID: 3fb804ca-5b4f-4aa2-87d1-0862127fa346 - Trace ID: Not Available',
    );
    assert.equal(classify(throttled, token).kind, 'throttled');
  });

  it('App Service / IMDS 400 "Identity not found" -> identity-not-found', () => {
    const c = classify(new CredentialUnavailableError(MI_NOT_FOUND), token);
    assert.deepEqual(pick(c), { kind: 'identity-not-found', reason: 'not-assigned' });
    assert.equal(c.detail.phase, 'token');
    assert.equal(c.detail.correlationId, '0f4a2b7e-1c9d-4e5f-8a6b-7c8d9e0f1a2b');
  });

  it('DefaultAzureCredential: digs the managed identity failure out of the aggregate', () => {
    const agg = new AggregateAuthenticationError(
      [
        new CredentialUnavailableError(
          'EnvironmentCredential is unavailable. No underlying credential could be used.',
        ),
        new CredentialUnavailableError(MI_NOT_FOUND),
        new CredentialUnavailableError('Azure CLI could not be found.'),
      ],
      'ChainedTokenCredential authentication failed.',
    );
    assert.equal(
      classify(agg, call).kind,
      'identity-not-found',
      'recognised by name even if the wrapper missed it',
    );
    const message = classify(agg, call).detail.message!;
    assert.match(
      message,
      /^ChainedTokenCredential authentication failed\. ManagedIdentityCredential: .*Identity not found/,
    );
    assert.doesNotMatch(message, /Azure CLI/, 'the irrelevant chain members are left out');
  });

  it('no endpoint: IMDS unavailable, or an unreachable IMDS when no platform variables are set', () => {
    assert.equal(
      classify(
        new CredentialUnavailableError('Attempted to use the IMDS endpoint, but it is not available.'),
        token,
      ).kind,
      'no-identity-endpoint',
    );
    assert.equal(
      classify(new CredentialUnavailableError('No managed identity endpoint found.'), token).kind,
      'no-identity-endpoint',
    );
    const unreachable = new CredentialUnavailableError(
      'ManagedIdentityCredential: Network unreachable. Message: network_error: Network request failed',
    );
    assert.equal(
      classify(unreachable, { ...token, managedIdentitySource: 'Imds' }).kind,
      'no-identity-endpoint',
    );
    assert.equal(
      classify(unreachable, token).kind,
      'unreachable',
      'App Service endpoint configured but not answering',
    );
  });

  it('AADSTS70021 / 700213 / 700024 -> federation-rejected; 700016 -> identity-not-found; 90002 -> misconfigured', () => {
    const body = (code: number, text: string) => ({
      error: 'invalid_request',
      error_description: `AADSTS${code}: ${text}\r\nTrace ID: t\r\nCorrelation ID: 0f4a2b7e-1c9d-4e5f-8a6b-7c8d9e0f1a2b\r\nTimestamp: 2026-11-22 08:00:00Z`,
      error_codes: [code],
    });
    const fic = new AuthenticationRequiredError({
      scopes: ['https://vault.azure.net/.default'],
      message: `invalid_request: Error(s): 70021 - Timestamp: x - Description: AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: 'https://issuer'. Assertion Subject: 'system:serviceaccount:probes:wrong'. Assertion Audience: 'api://AzureADTokenExchange'.`,
    });
    assert.deepEqual(pick(classify(fic, token)), { kind: 'federation-rejected', reason: 'fic-mismatch' });
    assert.equal(classify(fic, token).detail.aadsts, '70021');
    // Entra's current codes name the field that differs; the classification says which.
    const field = (code: number) =>
      pick(
        classify(
          new AuthenticationError(
            401,
            body(code, `No matching federated identity record found for presented assertion subject 'x'.`),
          ),
          token,
        ),
      );
    assert.deepEqual(field(700213), { kind: 'federation-rejected', reason: 'fic-subject' });
    assert.deepEqual(field(7002138), { kind: 'federation-rejected', reason: 'fic-subject-case' });
    assert.deepEqual(field(700211), { kind: 'federation-rejected', reason: 'fic-issuer' });
    assert.deepEqual(field(700212), { kind: 'federation-rejected', reason: 'fic-audience' });
    assert.deepEqual(
      pick(
        classify(
          new AuthenticationError(400, body(700024, 'Client assertion is not within its valid time range.')),
          token,
        ),
      ),
      { kind: 'federation-rejected', reason: 'assertion-expired' },
    );
    assert.equal(
      classify(
        new AuthenticationError(
          400,
          body(700016, "Application with identifier 'x' was not found in the directory."),
        ),
        token,
      ).kind,
      'identity-not-found',
    );
    for (const [code, reason, text] of [
      [7000272, 'issuer-keys', "The key was not found. Key id: 'k1'."],
      [50166, 'issuer-unreachable', "Request to External OIDC endpoint failed. Issuer: 'https://issuer'."],
      [700222, 'entra-assertion', 'AAD-issued tokens may not be used for federated identity flows.'],
    ] as const) {
      assert.deepEqual(pick(classify(new AuthenticationError(400, body(code, text)), token)), {
        kind: 'federation-rejected',
        reason,
      });
    }
    const tenant = classify(new AuthenticationError(400, body(90002, "Tenant 'x' not found.")), token);
    assert.deepEqual([tenant.kind, tenant.detail.setting], ['misconfigured', 'AZURE_TENANT_ID']);
    assert.equal(
      classify(new AuthenticationError(401, body(7000215, 'Invalid client secret provided.')), token).kind,
      'unauthenticated',
    );
  });

  it('identity endpoint 429 -> throttled; other credential failures -> error', () => {
    assert.equal(
      classify(
        new CredentialUnavailableError(
          'ManagedIdentityCredential: Authentication failed. Message server_error: Http status code: 429 Too Many Requests',
        ),
        token,
      ).kind,
      'throttled',
    );
    assert.equal(
      classify(
        new CredentialUnavailableError(
          'ManagedIdentityCredential: Authentication failed. Message server_error: Http status code: 500',
        ),
        token,
      ).kind,
      'error',
    );
  });

  it('settings the SDK itself rejects -> misconfigured naming the setting', () => {
    const dac = classify(
      new Error("Invalid value for AZURE_TOKEN_CREDENTIALS = nope. Valid values are 'prod' or 'dev'"),
      token,
    );
    assert.deepEqual([dac.kind, dac.detail.setting], ['misconfigured', 'AZURE_TOKEN_CREDENTIALS']);
    const tenant = classify(
      new CredentialUnavailableError(
        'The current credential is not configured to acquire tokens for tenant 72f988bf.',
      ),
      token,
    );
    assert.deepEqual([tenant.kind, tenant.detail.setting], ['misconfigured', 'AZURE_TENANT_ID']);
  });

  it('federated token source failures name their setting', () => {
    const missing = new FederatedTokenSourceError(
      'FEDERATED_TOKEN_FILE cannot be read (ENOENT)',
      'FEDERATED_TOKEN_FILE',
      { cause: Object.assign(new Error('x'), { code: 'ENOENT' }) },
    );
    const wrapped = new AuthenticationRequiredError({ scopes: [], message: missing.message, cause: missing });
    assert.deepEqual(
      [classify(wrapped, token).kind, classify(wrapped, token).detail.setting],
      ['misconfigured', 'FEDERATED_TOKEN_FILE'],
    );
    const down = new FederatedTokenSourceError(
      'FEDERATED_TOKEN_URL did not answer (ECONNREFUSED)',
      'FEDERATED_TOKEN_URL',
      { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) },
    );
    assert.equal(classify(down, token).kind, 'unreachable');
  });
});

describe('classify: the phase a plain error is thrown in', () => {
  it('a plain Error or TypeError thrown while getting the token is a token failure, not a call failure (issue 24)', () => {
    // An assertion callback, credential setup: nothing in the error says "credential"; only the runner knows the
    // token phase failed (ctx.tokenFailed).
    for (const err of [
      new Error('getAssertion callback failed: the token file is empty'),
      new TypeError("Cannot read properties of undefined (reading 'token')"),
    ]) {
      const c = classify(err, token);
      assert.deepEqual(
        [c.kind, c.reason, c.detail.phase, c.detail.errorName],
        ['error', 'credential', 'token', err.name],
        `${err.name} in the token phase`,
      );
      const same = classify(err, call);
      assert.deepEqual(
        [same.reason, same.detail.phase],
        ['unexpected', 'call'],
        'the same error in the call',
      );
    }
  });
});

describe('classify: deadlines', () => {
  it('our deadline and abort signals -> timeout, token or call phase', () => {
    const c = classify(new ProbeDeadlineError(10_000), { ...call, tokenPending: true });
    assert.deepEqual([c.kind, c.reason, c.detail.phase], ['timeout', 'token', 'token']);
    assert.equal(classify(new ProbeDeadlineError(10_000), call).reason, 'call');
    const aborted = AbortSignal.abort();
    assert.equal(classify(aborted.reason, call).kind, 'timeout');
    const abortError = Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' });
    assert.equal(classify(abortError, call).kind, 'timeout');
  });
});

describe('classify: error messages', () => {
  it('a long JWT across the message length limit is redacted, not cut into an unredacted fragment', async () => {
    const jwt = await signJwt({ oid: 'x', note: 'y'.repeat(600) });
    const [header, payload] = jwt.split('.');
    // The limit falls 40 characters into the token's payload.
    const before = 'the service rejected ';
    const lead = 'x'.repeat(MAX_MESSAGE_LENGTH - before.length - header.length - 1 - 40);
    const text = `${lead}${before}${jwt} after checking it`;
    assert.equal(text.slice(0, MAX_MESSAGE_LENGTH).split('.')[1], payload.slice(0, 40));
    const c = classify(new Error(text), call);
    const message = c.detail.message!;
    assert.ok(message.length <= MAX_MESSAGE_LENGTH + 1, `${message.length} characters`);
    assert.ok(!message.includes(payload.slice(0, 20)), 'no part of the payload');
    assert.ok(!message.includes(header), 'no part of the header');
    assert.match(message, /\[REDACTED\] after checking it$/);
  });
});

describe('serviceScope', () => {
  it('reads the scope a 403 names', () => {
    assert.equal(
      serviceScope(
        "Resource: '/subscriptions/s/resourcegroups/rg/providers/microsoft.keyvault/vaults/v/secrets/canary'",
      ),
      '/subscriptions/s/resourcegroups/rg/providers/microsoft.keyvault/vaults/v',
    );
    assert.equal(serviceScope('nothing here'), undefined);
  });
});
