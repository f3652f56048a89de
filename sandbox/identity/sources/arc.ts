// Azure Arc (hybrid IMDS) managed identity endpoint (docs/identity-wire.md §5). A request without credentials gets
// 401 `WWW-Authenticate: Basic realm=<key file>`; the client reads that file and repeats the request with
// `Authorization: Basic <file contents>`. msal-node accepts only /var/opt/azcmagent/tokens/<name>.key on Linux
// (≤ 4096 bytes), so the sandbox writes its key files exactly there: possible only as root. Without root it logs
// so once and still serves the challenge (clients then fail reading the file, as they would on a broken agent).
// Each challenge gets a fresh single-use key file, deleted when used, after 60 s, or when the sandbox closes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SandboxContext } from '../../core/context.ts';
import { SandboxError } from '../../core/errors.ts';
import { header, sendJson } from '../../core/http.ts';
import { isValidResource } from '../compute.ts';
import { imdsErrors as E } from '../errors.ts';
import { IMDS_TOKEN_PATH, imdsTokenBody } from './imds.ts';
import { IMDS_SELECTOR_NAMES, parseRequest, q, requestedIdentity, safeEqual } from './common.ts';

/** The only directory msal-node accepts for the key file on Linux (msal-node AzureArc SUPPORTED_AZURE_ARC_PLATFORMS). */
export const ARC_TOKENS_DIR = '/var/opt/azcmagent/tokens';
const KEY_TTL_MS = 60_000;
/** msal-node accepts api-version 2020-06-01 (msal-node ≥ 5.1); older clients send 2019-11-01. */
const API_VERSIONS = ['2020-06-01', '2019-11-01'];

export class ArcKeyStore {
  readonly dir: string;
  #keys = new Map<string, { path: string; timer: NodeJS.Timeout }>();
  /** The topmost directory this store created (mkdir -p), removed again on close when empty. */
  #createdTop: string | undefined;
  #warned = false;
  #log: (line: string) => void;

  constructor(log: (line: string) => void, dir = ARC_TOKENS_DIR) {
    this.dir = dir;
    this.#log = log;
  }

  /** Whether key files can be created here (root, or a writable directory). */
  static canCreate(dir = ARC_TOKENS_DIR): boolean {
    try {
      const top = mkdirSync(dir, { recursive: true, mode: 0o700 });
      const probe = join(dir, `.probe-${process.pid}-${randomBytes(4).toString('hex')}`);
      writeFileSync(probe, '', { mode: 0o600 });
      rmSync(probe, { force: true });
      if (top !== undefined) removeUpTo(dir, top);
      return true;
    } catch {
      return false;
    }
  }

  /** Writes a new key file; returns its path (the realm), or the path it would have had when it cannot write. */
  create(secrets: Set<string>): string {
    const secret = randomBytes(32).toString('hex');
    const path = join(this.dir, `${randomBytes(8).toString('hex')}.key`);
    const attempt = () => {
      // mkdir each time: another sandbox may have removed the (then empty) directory meanwhile.
      this.#createdTop ??= mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeFileSync(path, secret, { mode: 0o600, flag: 'wx' });
    };
    try {
      try {
        attempt();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        attempt();
      }
    } catch (err) {
      if (!this.#warned) {
        this.#warned = true;
        this.#log(
          `[arc] cannot create Arc key files under ${this.dir} (${(err as NodeJS.ErrnoException).code ?? err}); ` +
            'the Arc source still answers its 401 challenge, but clients cannot read the key (run as root to use it)',
        );
      }
      return path;
    }
    secrets.add(secret);
    const timer = setTimeout(() => this.#drop(secret), KEY_TTL_MS);
    timer.unref();
    this.#keys.set(secret, { path, timer });
    return path;
  }

  /** True (and the key is spent) when `presented` is the contents of a live key file. */
  consume(presented: string): boolean {
    for (const secret of this.#keys.keys()) {
      if (safeEqual(presented, secret)) {
        this.#drop(secret);
        return true;
      }
    }
    return false;
  }

  #drop(secret: string): void {
    const k = this.#keys.get(secret);
    if (!k) return;
    clearTimeout(k.timer);
    rmSync(k.path, { force: true });
    this.#keys.delete(secret);
  }

  close(): void {
    for (const secret of [...this.#keys.keys()]) this.#drop(secret);
    // Another sandbox may be using the directory: remove it only if we made it and it is empty.
    if (this.#createdTop !== undefined) removeUpTo(this.dir, this.#createdTop);
  }
}

/** Removes `dir` and its parents up to `top`, each only if empty (another sandbox may be using them). */
function removeUpTo(dir: string, top: string): void {
  for (let d = dir; d.length >= top.length; d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty, or already gone
    }
    if (d === top) return;
  }
}

export function arcHandler(ctx: SandboxContext, keys: ArcKeyStore) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const r = parseRequest(req);
    if (r.path !== IMDS_TOKEN_PATH) throw E.notFound(r.rawPath);
    if (r.method !== 'GET') throw E.methodNotAllowed(r.method);
    if (header(req, 'metadata') !== 'true') throw E.metadataRequired();
    const apiVersion = q(r.query, 'api-version');
    if (apiVersion === undefined) throw E.missingQuery('api-version');
    if (!API_VERSIONS.includes(apiVersion)) throw E.badApiVersion(apiVersion);
    const resource = q(r.query, 'resource');
    if (resource === undefined) throw E.missingQuery('resource');

    const auth = header(req, 'authorization');
    if (auth === undefined) {
      const realm = keys.create(ctx.issued.secrets);
      // Unquoted realm: msal-node takes everything after "Basic realm=" as the path (§5).
      throw SandboxError.json(
        401,
        { error: 'unauthorized_client', error_description: 'Authentication with the key file is required.' },
        { 'www-authenticate': `Basic realm=${realm}` },
      );
    }
    const m = /^Basic (.+)$/.exec(auth);
    if (!m || !keys.consume(m[1].trim())) throw E.arcUnauthorized();

    if (!isValidResource(resource)) throw E.invalidResource(resource, ctx.world.tenantId);
    const identity = requestedIdentity(ctx.world, r.query, IMDS_SELECTOR_NAMES, E);
    const body = await imdsTokenBody(ctx, 'arc', identity, resource);
    // msal-node ≥ 5.6 fails closed unless the answer confirms the user-assigned identity it asked for (§5).
    if (identity.kind === 'user-assigned') {
      body.object_id = identity.principalId;
      if (identity.resourceId) body.msi_res_id = identity.resourceId;
    }
    sendJson(res, 200, body);
  };
}
