// The external OIDC identity provider: the "other cloud" (a Kubernetes cluster, GitHub Actions…) whose tokens a
// workload exchanges at Entra through a federated identity credential. HTTPS, with its own RSA key (distinct from
// the tenant's), and:
//   GET /.well-known/openid-configuration   discovery (shape of a Kubernetes service-account issuer)
//   GET /keys                               JWKS
//   GET /workloads/{name}/token[?audience=…&subject=…]
//        -> {"count":1,"value":"<jwt>","expires_on":<unix s>}  (GitHub Actions' ID-token answer, plus expires_on)
// Tokens: iss = issuer URL, sub = the workload's subject, aud = api://AzureADTokenExchange, lifetime
// `oidcTokenLifetimeSeconds`. `audience` / `subject` override those (to produce wrongly addressed tokens for tests);
// Entra still matches them against the federated credentials, so an override never grants anything. The app's
// FEDERATED_TOKEN_URL mode can point at ${oidcIssuer}/workloads/identity-probes/token (it reads `value`).
// These tokens are not Azure access tokens: they are listed in /_sandbox/issued (assertions) but not counted in
// the token-request counters, which count what Entra and the managed identity sources issue.
// It also keeps two token files for the world's first workload (FEDERATED_TOKEN_FILE for the app and the
// AKS-style AZURE_FEDERATED_TOKEN_FILE), rewritten atomically before the token in them expires.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import type { SandboxContext } from '../core/context.ts';
import { TOKEN_FAULT_KINDS } from '../core/faults.ts';
import { sendJson } from '../core/http.ts';
import type { RunningServer } from '../core/server.ts';
import { oidcErrors as E } from './errors.ts';
import { WRONG_AUDIENCE } from './issue.ts';
import { parseRequest, q } from './sources/common.ts';

/** The audience Entra requires of a federated assertion. */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

export interface OidcTokenOptions {
  subject: string;
  audience?: string;
  expired?: boolean;
}

export class OidcProvider {
  issuer = '';
  readonly kid: string;
  readonly lifetimeSeconds: number;
  #privateKey: CryptoKey;
  #publicJwk: JWK;

  private constructor(kid: string, privateKey: CryptoKey, publicJwk: JWK, lifetimeSeconds: number) {
    this.kid = kid;
    this.#privateKey = privateKey;
    this.#publicJwk = { ...publicJwk, kid, use: 'sig', alg: 'RS256' };
    this.lifetimeSeconds = lifetimeSeconds;
  }

  static async create(lifetimeSeconds: number): Promise<OidcProvider> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { modulusLength: 2048 });
    return new OidcProvider(
      randomBytes(16).toString('hex').toUpperCase(),
      privateKey,
      await exportJWK(publicKey),
      lifetimeSeconds,
    );
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.#publicJwk] };
  }

  discovery(): Record<string, unknown> {
    return {
      issuer: this.issuer,
      jwks_uri: `${this.issuer}/keys`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf'],
    };
  }

  async issue(o: OidcTokenOptions): Promise<{ token: string; expiresOn: number }> {
    const now = Math.floor(Date.now() / 1000);
    // An expired token is back-dated beyond any clock-skew allowance.
    const iat = o.expired ? now - this.lifetimeSeconds - 3600 : now;
    const exp = iat + this.lifetimeSeconds;
    const token = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setSubject(o.subject)
      .setAudience(o.audience ?? TOKEN_EXCHANGE_AUDIENCE)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(exp)
      .sign(this.#privateKey);
    return { token, expiresOn: exp };
  }
}

export function oidcHandler(ctx: SandboxContext, provider: OidcProvider) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const r = parseRequest(req);
    if (r.method !== 'GET') throw E.methodNotAllowed(r.method);
    if (r.path === '/.well-known/openid-configuration') return sendJson(res, 200, provider.discovery());
    if (r.path === '/keys') return sendJson(res, 200, provider.jwks());
    const m = /^\/workloads\/([^/]+)\/token$/.exec(r.rawPath.replace(/\/+$/, ''));
    if (!m) throw E.notFound(r.rawPath);
    let name: string;
    try {
      name = decodeURIComponent(m[1]);
    } catch {
      throw E.invalidRequest('The workload name is not valid percent-encoding.');
    }
    const workloads = ctx.world.oidcWorkloads;
    const workload = workloads.find((w) => w.name === name);
    if (!workload)
      throw E.unknownWorkload(
        name,
        workloads.map((w) => w.name),
      );
    const audience = q(r.query, 'audience');
    const subject = q(r.query, 'subject');
    if ((audience?.length ?? 0) > 512 || (subject?.length ?? 0) > 512)
      throw E.invalidRequest('audience and subject are limited to 512 characters');
    const fault = ctx.faults.take('oidc', TOKEN_FAULT_KINDS);
    const t = await provider.issue({
      subject: subject ?? workload.subject,
      audience: fault?.kind === 'wrong-audience' ? WRONG_AUDIENCE : audience,
      expired: fault?.kind === 'expired-token',
    });
    ctx.issued.assertions.add(t.token);
    sendJson(
      res,
      200,
      { count: 1, value: t.token, expires_on: t.expiresOn },
      { 'cache-control': 'no-store' },
    );
  };
}

export interface TokenFiles {
  federatedTokenFile: string;
  aksTokenFile: string;
  /** Rewrites both files now (e.g. after a scenario switch changed the workload). */
  refresh(): Promise<void>;
  close(): void;
}

/**
 * Keeps the token files of the world's first OIDC workload fresh: written at start, rewritten when 80 % of the
 * token's lifetime has passed on the sandbox's clock (Kubernetes refreshes projected tokens at 80 % too; a test moves
 * the clock through /_sandbox/clock instead of waiting), and removed on close. The files live under
 * <stateDir>/tokens/<oidc port>/ so side-by-side sandboxes never share them.
 */
export async function startTokenFiles(
  ctx: SandboxContext,
  provider: OidcProvider,
  server: RunningServer,
): Promise<TokenFiles> {
  const dir = join(ctx.stateDir, 'tokens', String(server.port));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const federatedTokenFile = join(dir, 'federated-token');
  // The file name the AKS workload identity webhook projects (azure-workload-identity docs).
  const aksTokenFile = join(dir, 'azure-identity-token');
  let timer: NodeJS.Timeout | undefined;
  let dueAt = Infinity;
  let closed = false;

  const write = (path: string, content: string) => {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, content, { mode: 0o600 });
    renameSync(tmp, path);
  };

  const refresh = async (): Promise<void> => {
    if (closed) return;
    clearTimeout(timer);
    const workload = ctx.world.oidcWorkloads[0];
    if (!workload) {
      dueAt = Infinity;
      rmSync(federatedTokenFile, { force: true });
      rmSync(aksTokenFile, { force: true });
      return;
    }
    const t = await provider.issue({ subject: workload.subject });
    ctx.issued.assertions.add(t.token);
    if (closed) return;
    write(federatedTokenFile, t.token);
    write(aksTokenFile, t.token);
    dueAt = ctx.clock.now() + Math.max(1000, provider.lifetimeSeconds * 800);
    schedule();
  };
  // Due on the sandbox's clock: refresh; otherwise a wall-clock timer for the time left, set again whenever the
  // sandbox's clock moves.
  const tick = (): Promise<void> | void =>
    ctx.clock.now() >= dueAt
      ? refresh().catch((err: unknown) =>
          ctx.log(`[oidc] token file refresh failed: ${(err as Error).message}`),
        )
      : schedule();
  const schedule = () => {
    clearTimeout(timer);
    if (closed || dueAt === Infinity) return;
    timer = setTimeout(tick, Math.min(2 ** 31 - 1, Math.max(0, dueAt - ctx.clock.now())));
    timer.unref();
  };
  const stopWatching = ctx.clock.onAdvance(tick);

  await refresh();
  return {
    federatedTokenFile,
    aksTokenFile,
    refresh,
    close: () => {
      closed = true;
      clearTimeout(timer);
      stopWatching();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
