// Entra ID (the tenant's authority) over HTTPS (docs/identity-wire.md §10):
//   GET  /{tenant}/v2.0/.well-known/openid-configuration     OpenID metadata (msal-node reads this, §10.3)
//   GET  /{tenant}/.well-known/openid-configuration          v1 metadata
//   GET  /{tenant}/discovery/v2.0/keys, /{tenant}/discovery/keys, /common/discovery/[v2.0/]keys   signing keys
//   GET  /common/discovery/instance?api-version=1.1&authorization_endpoint=…   instance discovery (§10.2)
//   POST /{tenant}/oauth2/v2.0/token, /{tenant}/oauth2/token  client credentials: client_secret or client_assertion
// Client-credential tokens are v1 access tokens (iss https://sts.windows.net/{tid}/): for a user-assigned identity
// reached through federation, oid/appid/xms_mirid are that identity's; for an app registration, appidacr "1"
// (secret) or "2" (assertion) and no xms_mirid.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxContext } from '../core/context.ts';
import { DEFAULT_TOKEN_LIFETIME_SECONDS } from '../core/tokens.ts';
import { header, readForm, sendJson } from '../core/http.ts';
import type { ResolvedIdentity } from '../world.ts';
import { validateFederatedAssertion } from './assertion.ts';
import type { EntraErrorContext } from './errors.ts';
import { entraErrors as E } from './errors.ts';
import { issueAccessToken, secondsLeft } from './issue.ts';
import { parseRequest, q, safeEqual } from './sources/common.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Entra's app-only access tokens live 60-90 minutes; clients see expires_in 3599. */
export const ENTRA_TOKEN_LIFETIME_SECONDS = 3599;
/** Scopes MSAL may add that carry no resource (ignored for client credentials). */
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access']);

export interface EntraOptions {
  /** Client secret per app registration client id (generated per run). */
  appSecrets: Record<string, string>;
}

/** The resource a token request asks for: v2 `scope` (exactly one `<resource>/.default`), or v1 `resource`. */
function requestedResource(form: URLSearchParams, v2: boolean, ec: EntraErrorContext): string {
  if (v2) {
    const scope = q(form, 'scope');
    if (scope === undefined) throw E.missingParameter('scope', ec);
    const scopes = scope.split(/\s+/).filter((s) => s && !OIDC_SCOPES.has(s));
    if (scopes.length !== 1 || !scopes[0].endsWith('/.default') || scopes[0] === '/.default')
      throw E.invalidScope(scope, ec);
    // https://management.azure.com//.default -> https://management.azure.com/ (the v1 `aud` keeps the slash).
    return scopes[0].slice(0, -'/.default'.length);
  }
  const r = q(form, 'resource');
  if (r === undefined) throw E.missingParameter('resource', ec);
  return r;
}

export class EntraServer {
  /** https origin the server listens on (set once it listens). */
  origin = '';
  port = 0;
  readonly #ctx: SandboxContext;
  readonly #opts: EntraOptions;

  constructor(ctx: SandboxContext, opts: EntraOptions) {
    this.#ctx = ctx;
    this.#opts = opts;
  }

  /** The lifetime of tokens Entra issues: Azure's unless the sandbox was given another token lifetime. */
  get lifetimeSeconds(): number {
    const configured = this.#ctx.options.tokenLifetimeSeconds;
    return configured === DEFAULT_TOKEN_LIFETIME_SECONDS ? ENTRA_TOKEN_LIFETIME_SECONDS : configured;
  }

  /** The origin as the client addressed it (127.0.0.1 or localhost), so metadata issuers match its authority. */
  #originFor(req: IncomingMessage): string {
    const host = header(req, 'host');
    return host === `localhost:${this.port}` || host === `127.0.0.1:${this.port}`
      ? `https://${host}`
      : this.origin;
  }

  handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const r = parseRequest(req);
    const segs = r.rawPath.split('/').filter(Boolean);
    const ec: EntraErrorContext = {
      correlationId: q(r.query, 'client-request-id') ?? header(req, 'client-request-id'),
    };
    const origin = this.#originFor(req);
    const tenantSeg = segs[0] ?? '';
    const rest = segs.slice(1).join('/').toLowerCase();

    if (tenantSeg.toLowerCase() === 'common' && rest === 'discovery/instance') {
      if (r.method !== 'GET') throw E.methodNotAllowed(r.method, ec);
      return this.#instanceDiscovery(res, r.query, origin, ec);
    }
    const isToken = rest === 'oauth2/v2.0/token' || rest === 'oauth2/token';
    const isMetadata =
      rest === 'v2.0/.well-known/openid-configuration' || rest === '.well-known/openid-configuration';
    const isKeys = rest === 'discovery/v2.0/keys' || rest === 'discovery/keys';
    if (!isToken && !isMetadata && !isKeys) throw E.notFound(r.rawPath, ec);
    if (isToken && r.method !== 'POST') throw E.methodNotAllowed(r.method, ec);
    if (!isToken && r.method !== 'GET') throw E.methodNotAllowed(r.method, ec);

    const world = this.#ctx.world;
    const tenant = tenantSeg.toLowerCase();
    const known = tenant === world.tenantId;
    // The keys are the cloud's signing keys, also served under /common.
    if (isKeys && (known || tenant === 'common')) return sendJson(res, 200, this.#ctx.tokens.jwks());
    if (!known) {
      if (
        !/^[0-9a-zA-Z-.]+$/.test(tenantSeg) ||
        (!tenantSeg.includes('.') && !/^[0-9a-f-]{36}$/i.test(tenantSeg))
      )
        throw E.invalidTenantIdentifier(tenantSeg, ec);
      throw isMetadata ? E.tenantNotFoundMetadata(tenantSeg, ec) : E.tenantNotFound(tenantSeg, ec);
    }
    if (isMetadata)
      return sendJson(res, 200, this.#metadata(origin, world.tenantId, rest.startsWith('v2.0')));
    return this.#token(req, res, rest === 'oauth2/v2.0/token', ec);
  };

  #metadata(origin: string, tid: string, v2: boolean): Record<string, unknown> {
    const base = `${origin}/${tid}`;
    const common = {
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      request_uri_parameter_supported: false,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'tid', 'ver', 'oid'],
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
      cloud_graph_host_name: 'graph.windows.net',
      msgraph_host: 'graph.microsoft.com',
      rbac_url: 'https://pas.windows.net',
    };
    // msal-node requires authorization_endpoint, token_endpoint, issuer and jwks_uri, and accepts an issuer on the
    // authority's own scheme+host+port (docs/identity-wire.md §10.3).
    return v2
      ? {
          ...common,
          token_endpoint: `${base}/oauth2/v2.0/token`,
          jwks_uri: `${base}/discovery/v2.0/keys`,
          issuer: `${base}/v2.0`,
          authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
          device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
          end_session_endpoint: `${base}/oauth2/v2.0/logout`,
          kerberos_endpoint: `${base}/kerberos`,
        }
      : {
          ...common,
          token_endpoint: `${base}/oauth2/token`,
          jwks_uri: `${base}/discovery/keys`,
          // v1 tokens carry the sts.windows.net issuer.
          issuer: this.#ctx.tokens.issuer,
          authorization_endpoint: `${base}/oauth2/authorize`,
          device_authorization_endpoint: `${base}/oauth2/devicecode`,
          end_session_endpoint: `${base}/oauth2/logout`,
          kerberos_endpoint: `${base}/kerberos`,
        };
  }

  /** Instance discovery answers for this host only, like the real one answers for Microsoft's clouds. */
  #instanceDiscovery(
    res: ServerResponse,
    query: URLSearchParams,
    origin: string,
    ec: EntraErrorContext,
  ): void {
    const authz = q(query, 'authorization_endpoint');
    if (authz === undefined) throw E.missingParameter('authorization_endpoint', ec);
    let u: URL;
    try {
      u = new URL(authz);
    } catch {
      throw E.invalidInstance(ec);
    }
    const hosts = [`127.0.0.1:${this.port}`, `localhost:${this.port}`];
    if (u.protocol !== 'https:' || !hosts.includes(u.host)) throw E.invalidInstance(ec);
    const tenant = u.pathname.split('/').filter(Boolean)[0] ?? 'common';
    sendJson(res, 200, {
      tenant_discovery_endpoint: `${origin}/${tenant}/v2.0/.well-known/openid-configuration`,
      'api-version': '1.1',
      metadata: [{ preferred_network: u.host, preferred_cache: u.host, aliases: hosts }],
    });
  }

  /** Checks the client's secret or federated assertion; returns appidacr ('1' secret, '2' assertion). */
  async #authenticate(
    form: URLSearchParams,
    principal: ResolvedIdentity,
    clientId: string,
    ec: EntraErrorContext,
  ): Promise<'1' | '2'> {
    const ctx = this.#ctx;
    const world = ctx.world;
    const secret = q(form, 'client_secret');
    const assertion = q(form, 'client_assertion');
    if (secret !== undefined) {
      const expected =
        principal.kind === 'app-registration' ? this.#opts.appSecrets[principal.clientId] : undefined;
      if (expected === undefined || !safeEqual(secret, expected)) throw E.invalidClientSecret(clientId, ec);
      return '1';
    }
    if (assertion !== undefined) {
      const type = q(form, 'client_assertion_type');
      if (type === undefined) throw E.missingParameter('client_assertion_type', ec);
      if (type !== JWT_BEARER) throw E.invalidAssertionType(type, ec);
      await validateFederatedAssertion({
        assertion,
        clientId: principal.clientId,
        credentials: world.federatedCredentials.filter((f) => f.principalId === principal.principalId),
        entraIssuers: [
          ctx.tokens.issuer,
          `${this.origin}/${world.tenantId}/v2.0`,
          `https://login.microsoftonline.com/${world.tenantId}/v2.0`,
        ],
        caPem: ctx.ca.caCertPem,
        errorContext: ec,
      });
      return '2';
    }
    throw E.credentialRequired(ec);
  }

  async #token(req: IncomingMessage, res: ServerResponse, v2: boolean, ec: EntraErrorContext): Promise<void> {
    const ctx = this.#ctx;
    const form = await readForm(req);
    ec.correlationId ??= q(form, 'client-request-id');
    const grant = q(form, 'grant_type');
    if (grant === undefined) throw E.missingParameter('grant_type', ec);
    if (grant !== 'client_credentials') throw E.unsupportedGrantType(grant, ec);
    const clientId = q(form, 'client_id');
    if (clientId === undefined) throw E.missingParameter('client_id', ec);

    const resource = requestedResource(form, v2, ec);

    const world = ctx.world;
    const principal: ResolvedIdentity | undefined = [...world.identities, ...world.appRegistrations].find(
      (i) => i.clientId === clientId.toLowerCase(),
    );
    if (!principal) throw E.unknownClient(clientId, world.tenantId, ec);

    const appidacr = await this.#authenticate(form, principal, clientId, ec);

    const t = await issueAccessToken(ctx, {
      source: 'entra',
      endpoint: 'entra',
      identity: principal,
      resource,
      lifetimeSeconds: this.lifetimeSeconds,
      appidacr,
    });
    const expiresIn = secondsLeft(t.expiresOn);
    const headers = { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' };
    // v2 answers numbers and no `scope` (or MSAL would key its cache on it, §10.5); v1 answers strings and `resource`.
    if (v2) {
      sendJson(
        res,
        200,
        { token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, access_token: t.token },
        headers,
      );
    } else {
      sendJson(
        res,
        200,
        {
          token_type: 'Bearer',
          expires_in: String(expiresIn),
          ext_expires_in: String(expiresIn),
          expires_on: String(t.expiresOn),
          not_before: String(t.notBefore),
          resource,
          access_token: t.token,
        },
        headers,
      );
    }
  }
}
