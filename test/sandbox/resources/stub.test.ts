// The stub data plane (sandbox/resources/stub.ts), which serves catalog targets the sandbox has no emulator for:
// the token is validated for the target's audience, and the token's oid must hold the target's action at the
// world's binding of its scope, through the real role-assignment store. Driven with targets declared here (the
// catalog's own targets all have emulators) over HTTPS against the sandbox's CA, as a client would call it.
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import type { RunningSandbox } from '../../../sandbox/index.ts';
import { RoleAssignmentStore } from '../../../sandbox/resources/rbac/store.ts';
import {
  EMULATED_TARGETS,
  stubHandler,
  stubSettings,
  stubTargets,
  type StubTarget,
} from '../../../sandbox/resources/stub.ts';
import { TARGET_IDS } from '../../../common/catalog.ts';
import { identity, startQuietSandbox } from '../../../support/sandbox.ts';

const STORAGE = 'https://storage.azure.com';
const TARGETS: Record<string, StubTarget> = {
  // Storage Blob Data Reader on the canary container grants this to every app-plane identity in the healthy world.
  granted: {
    audience: STORAGE,
    action: {
      kind: 'dataAction',
      name: 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read',
    },
    scope: 'canaryContainer',
    endpointSetting: 'GRANTED_URL',
    settings: {
      GRANTED_URL: { group: 'app', meaning: 'm' },
      GRANTED_NAME: { group: 'app', meaning: 'm', sample: 'x' },
    },
  },
  // Nobody holds a table role.
  ungranted: {
    audience: STORAGE,
    action: {
      kind: 'dataAction',
      name: 'Microsoft.Storage/storageAccounts/tableServices/tables/entities/read',
    },
    scope: 'storageAccount',
    endpointSetting: 'UNGRANTED_URL',
    settings: { UNGRANTED_URL: { group: 'app', meaning: 'm' } },
  },
};

interface Answer {
  status: number;
  code?: string;
  body: Record<string, unknown>;
}

describe('stub data plane', { timeout: 60_000 }, () => {
  let sb: RunningSandbox;
  let origin: string;
  let server: { close(): Promise<void> } | undefined;
  const call = (path: string, token?: string, method = 'GET') =>
    new Promise<Answer>((resolve, reject) => {
      const req = request(
        `${origin}${path}`,
        {
          method,
          ca: sb.context.ca.caCertPem,
          headers: token ? { authorization: `Bearer ${token}` } : {},
          timeout: 10_000,
        },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString('utf8')));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              code: res.headers['x-ms-error-code'] as string | undefined,
              body: JSON.parse(text) as Record<string, unknown>,
            }),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end();
    });
  const token = async (principalId: string, audience = STORAGE) =>
    (await sb.context.tokens.issue({ subject: { principalId, clientId: crypto.randomUUID() }, audience }))
      .token;

  before(async () => {
    sb = await startQuietSandbox('healthy');
    const rbac = new RoleAssignmentStore(sb.context.world, 0);
    const started = await sb.context.startServer({
      label: 'stub-test',
      tls: sb.context.serverCert,
      handler: stubHandler(sb.context, rbac, TARGETS),
    });
    server = started;
    origin = started.origin;
  });
  after(async () => {
    await server?.close();
    await sb?.close();
  });

  it('answers a target call when the principal holds its action at its scope', async () => {
    const app = identity(sb.connection, 'app');
    const a = await call('/granted/anything?x=1', await token(app.principalId));
    assert.equal(a.status, 200);
    assert.deepEqual(a.body, { target: 'granted', path: '/granted/anything' });
  });

  it('refuses a principal without the action there: 403 naming the action and the scope', async () => {
    const app = identity(sb.connection, 'app');
    const a = await call('/ungranted/messages', await token(app.principalId));
    assert.equal(a.status, 403);
    assert.equal(a.code, 'AuthorizationPermissionMismatch');
    const message = (a.body.error as { message: string }).message;
    assert.match(message, /tableServices\/tables\/entities\/read/);
    assert.match(message, /storageAccounts\/stidentityprobes'/);
    const stranger = await call('/granted/x', await token(crypto.randomUUID()));
    assert.equal(stranger.status, 403);
  });

  it('refuses a missing token and a token for another audience (401)', async () => {
    const app = identity(sb.connection, 'app');
    assert.equal((await call('/granted/x')).status, 401);
    const other = await call('/granted/x', await token(app.principalId, 'https://vault.azure.net'));
    assert.equal(other.status, 401);
    assert.equal(other.code, 'InvalidAuthenticationToken');
  });

  it('serves only its targets, with GET only', async () => {
    const app = identity(sb.connection, 'app');
    const t = await token(app.principalId);
    assert.equal((await call('/keyvault/x', t)).status, 404);
    assert.equal((await call('/', t)).status, 404);
    assert.equal((await call('/granted/x', t, 'DELETE')).status, 405);
  });

  it("sets a stub target's endpoint to <origin>/<target> and its other settings to their samples", () => {
    assert.deepEqual(stubSettings('https://127.0.0.1:1', TARGETS), {
      GRANTED_URL: 'https://127.0.0.1:1/granted',
      GRANTED_NAME: 'x',
      UNGRANTED_URL: 'https://127.0.0.1:1/ungranted',
    });
  });

  it("the sandbox's own stub serves exactly the catalog's targets without an emulator", async () => {
    assert.deepEqual(
      Object.keys(stubTargets()),
      TARGET_IDS.filter((t) => !EMULATED_TARGETS.includes(t)),
    );
    const app = identity(sb.connection, 'app');
    origin = sb.connection.endpoints.stub;
    assert.equal((await call('/keyvault/x', await token(app.principalId))).status, 404);
  });
});
