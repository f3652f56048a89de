// The Storage queue kind and a whole-subscription ARM scope, end to end: a sandbox built from a small declaration
// (test/app/fixtures/queue-declaration.json: the app's system identity may peek the `jobs` queue and list the
// subscription, a user-assigned `worker` identity may do neither), and the app's own target modules
// (src/targets/queue.ts, arm.ts) run with the real credential and the real SDK clients over HTTPS
// (fixtures/target-child.ts), with the settings the declared resource gives them (queueKind.settings). Their failures
// are read by the app's classifier. The queue plane's wire format is checked raw against what Storage sends.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { loadDeclaration } from '../../../common/declaration/parse.ts';
import type { SandboxConnection } from '../../../sandbox/connection.ts';
import { queueKind } from '../../../src/targets/queue.ts';
import { childEnv, runMarkedChild } from '../../../support/child.ts';
import { admin, request, STORAGE, useTestSandbox } from '../../support/sandbox.ts';
import type { TargetOutcome, TargetSpec } from '../fixtures/target-child.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURE = join(HERE, '..', 'fixtures', 'queue-declaration.json');
const CHILD = join(HERE, '..', 'fixtures', 'target-child.ts');
const MARKER = '@@TARGET-CALL@@';
const declared = JSON.parse(readFileSync(FIXTURE, 'utf8')) as unknown;

/** The declared resource's resolved fields, by the loader the app uses, against the sandbox's settings. */
function fieldsOf(conn: SandboxConnection, resource: string): Record<string, string> {
  const loaded = loadDeclaration(declared, { settings: conn.appSettings });
  assert.deepEqual(loaded.problems, [], 'the declaration loads whole against the sandbox settings');
  return loaded.probes.find((p) => p.resourceName === resource)!.resource as unknown as Record<
    string,
    string
  >;
}

/** The app's settings with the resource's own laid over them (what src/declaration/ does for a planned resource). */
function settingsFor(
  conn: SandboxConnection,
  own: Record<string, string | undefined>,
  drop: string[] = [],
): Record<string, string> {
  const out: Record<string, string> = { ...conn.appSettings };
  for (const k of drop) delete out[k];
  for (const [k, v] of Object.entries(own))
    if (v === undefined) delete out[k];
    else out[k] = v;
  return out;
}

async function run(conn: SandboxConnection, spec: TargetSpec): Promise<TargetOutcome> {
  const { value } = await runMarkedChild<TargetOutcome>(
    CHILD,
    JSON.stringify(spec),
    childEnv({
      NODE_EXTRA_CA_CERTS: conn.caCertPath,
      IDENTITY_ENDPOINT: conn.appSettings.IDENTITY_ENDPOINT,
      IDENTITY_HEADER: conn.appSettings.IDENTITY_HEADER,
    }),
    MARKER,
    60_000,
  );
  return value;
}

describe(
  'the storage-queue kind and a subscription arm-scope, against a declared sandbox',
  { timeout: 300_000 },
  () => {
    const sb = useTestSandbox(() => {}, 'healthy', { declaration: FIXTURE });
    const worker = () => sb.connection.declaration!.identities.worker.clientId;
    const queueSettings = (queue?: string) => {
      const fields = fieldsOf(sb.connection, 'jobs');
      return settingsFor(sb.connection, queueKind.settings({ ...fields, ...(queue ? { queue } : {}) }));
    };

    it('peeks the queue as the identity it is declared for: data, an empty queue is an answer', async () => {
      const r = await run(sb.connection, { target: 'queue', settings: queueSettings() });
      assert.deepEqual(r.problems, []);
      assert.equal(r.classification, undefined, JSON.stringify(r));
      assert.deepEqual(r.data, { queue: 'jobs', messagesPeeked: 0 });
      assert.match(r.scope, /\/storageAccounts\/[^/]+\/queueServices\/default\/queues\/jobs$/);
    });

    it('a denied identity is refused by Storage, and the classifier reads forbidden / rbac', async () => {
      const r = await run(sb.connection, { target: 'queue', clientId: worker(), settings: queueSettings() });
      assert.deepEqual(r.classification, {
        kind: 'forbidden',
        reason: 'rbac',
        statusCode: 403,
        code: 'AuthorizationPermissionMismatch',
      });
      assert.equal(r.data, undefined);
      // The answer log is on the Queue client's pipeline (as on Blob's): the 403 was noted, once (not retried).
      assert.deepEqual(r.answers, ['403 AuthorizationPermissionMismatch']);
    });

    it('a queue that does not exist: not-found QueueNotFound, with the command that creates it', async () => {
      // Reader of every queue of the account, so the call gets past authorization to the queue itself.
      const d = sb.connection.declaration!;
      const account = d.resources.jobs.scope.replace(/\/queueServices\/.*$/, '');
      await admin(sb.connection, 'POST', '/_sandbox/role-assignments', {
        principalId: d.identities.app.principalId,
        roleName: 'Storage Queue Data Reader',
        scope: account,
      });
      const r = await run(sb.connection, { target: 'queue', settings: queueSettings('missing-queue') });
      assert.deepEqual(r.classification, {
        kind: 'not-found',
        reason: 'QueueNotFound',
        statusCode: 404,
        code: 'QueueNotFound',
      });
      const accountName = account.split('/').at(-1)!;
      assert.equal(
        r.remediation?.command,
        `az storage queue create --account-name ${accountName} --name missing-queue --auth-mode login`,
      );
    });

    it('an arm-scope that is a subscription: lists its first page with no AZURE_RESOURCE_GROUP', async () => {
      const fields = fieldsOf(sb.connection, 'subscription');
      const sub = /^\/subscriptions\/([^/]+)$/.exec(fields.scope)![1];
      const settings = settingsFor(
        sb.connection,
        { AZURE_SUBSCRIPTION_ID: sub, ARM_ENDPOINT: fields.endpoint },
        ['AZURE_RESOURCE_GROUP'],
      );
      const allowed = await run(sb.connection, { target: 'arm', settings });
      assert.deepEqual(allowed.problems, [], 'only the subscription is required then');
      assert.equal(allowed.scope, `/subscriptions/${sub}`);
      assert.equal(allowed.classification, undefined, JSON.stringify(allowed));
      assert.equal(allowed.data?.subscription, sub);
      assert.ok(Number(allowed.data?.resourcesOnFirstPage) > 0, JSON.stringify(allowed.data));
      assert.ok(Number(allowed.data?.resourcesOnFirstPage) <= 10, 'the first page, at most 10');

      const denied = await run(sb.connection, { target: 'arm', clientId: worker(), settings });
      assert.equal(denied.classification?.kind, 'forbidden');
      assert.equal(denied.classification?.reason, 'rbac');
      assert.equal(denied.classification?.code, 'AuthorizationFailed');
    });

    it('the queue plane answers as Storage does: XML list, 401 with the reason, 403 and 404 in XML', async () => {
      const conn = sb.connection;
      const base = fieldsOf(conn, 'jobs').serviceUrl;
      const d = conn.declaration!;
      const token = async (principalId: string, audience = STORAGE) =>
        (await sb.context.tokens.issue({ subject: { principalId, clientId: crypto.randomUUID() }, audience }))
          .token;
      const peek = (queue: string, auth?: string, version = '2026-04-06') =>
        request(conn, `${base}/${queue}/messages?peekonly=true&numofmessages=1`, {
          headers: { 'x-ms-version': version, ...(auth ? { authorization: auth } : {}) },
        });

      const ok = await peek('jobs', `Bearer ${await token(d.identities.app.principalId)}`);
      assert.equal(ok.status, 200);
      assert.match(ok.headers['content-type'] ?? '', /application\/xml/);
      assert.equal(ok.headers['x-ms-version'], '2026-04-06');
      assert.match(ok.text, /<QueueMessagesList \/>$/);

      const none = await peek('jobs');
      assert.equal(none.status, 401);
      assert.equal(none.headers['x-ms-error-code'], 'NoAuthenticationInformation');
      assert.match(
        none.headers['www-authenticate'] ?? '',
        /^Bearer authorization_uri=.* resource_id=https:\/\/storage\.azure\.com$/,
      );

      const vaultToken = await token(d.identities.app.principalId, 'https://vault.azure.net');
      const wrong = await peek('jobs', `Bearer ${vaultToken}`);
      assert.equal(wrong.status, 401);
      assert.equal(wrong.headers['x-ms-error-code'], 'InvalidAuthenticationInfo');
      assert.match(wrong.text, /<AuthenticationErrorDetail>Audience validation failed/);

      const old = await peek('jobs', `Bearer ${await token(d.identities.app.principalId)}`, '2017-04-17');
      assert.equal(old.status, 403, 'bearer tokens need x-ms-version 2017-11-09 or later');
      assert.equal(old.headers['x-ms-error-code'], 'AuthenticationFailed');

      const refused = await peek('jobs', `Bearer ${await token(d.identities.worker.principalId)}`);
      assert.equal(refused.status, 403);
      assert.equal(refused.headers['x-ms-error-code'], 'AuthorizationPermissionMismatch');
      assert.match(
        refused.text,
        /<Error><Code>AuthorizationPermissionMismatch<\/Code><Message>This request is not authorized to perform this operation using this permission\.\nRequestId:[-0-9a-f]+\nTime:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z<\/Message><\/Error>$/,
      );
      assert.match(String(refused.headers.server), /^Windows-Azure-Queue\/1\.0/);

      // The worker may not read any queue: it learns nothing about which exist (authorization before existence).
      assert.equal(
        (await peek('nope', `Bearer ${await token(d.identities.worker.principalId)}`)).status,
        403,
      );
    });
  },
);
