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
import { configSettings, loadConfig } from '../../../src/config.ts';
import { loadPlan } from '../../../src/declaration/index.ts';
import { childEnv, runMarkedChild } from '../../../support/child.ts';
import { admin, request, STORAGE, useTestSandbox } from '../../support/sandbox.ts';
import type { TargetOutcome, TargetSpec } from '../fixtures/target-child.ts';
import { runChild } from '../helpers/child.ts';
import type { ProbeResult } from '../../../src/core/results.ts';

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

/**
 * The settings a declared probe runs with, as the app compiles them (src/declaration/: the resource kind's settings,
 * queueKind's for the queue, laid over the app's), against the sandbox's app settings.
 */
async function plannedSettings(
  conn: SandboxConnection,
  identity: string,
  resource: string,
): Promise<Record<string, string>> {
  const plan = await loadPlan(loadConfig(conn.appSettings), { env: conn.appSettings, declaration: declared });
  assert.deepEqual(plan.declaration.problems, [], 'the app compiles the whole declaration');
  assert.equal(
    plan.resources.get('jobs')?.target.id,
    'queue',
    'the storage-queue kind runs the queue target',
  );
  const probe = plan.probes.find((p) => p.identity === identity && p.resource === resource)!;
  return { ...configSettings(probe.config) };
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
    const queueSettings = async (identity: string, queue?: string) => ({
      ...(await plannedSettings(sb.connection, identity, 'jobs')),
      ...(queue ? { QUEUE_NAME: queue } : {}),
    });

    it("the app's own runner sweeps the declaration: every cell ok, the denied ones refused", async () => {
      // The whole app (src/orchestration, the runner, the plan), reading the declaration from PROBES_DECLARATION.
      const run = await runChild(sb.connection.appSettings, [{ op: 'sweep' }], {
        PROBES_DECLARATION: FIXTURE,
      });
      const { results } = run.steps[0].value as { results: ProbeResult[] };
      const cells = Object.fromEntries(
        results.map((r) => [`${r.path}/${r.target}`, `${r.outcome}${r.expect ? ` (${r.expect})` : ''}`]),
      );
      assert.deepEqual(cells, {
        'app/jobs': 'ok',
        'app/subscription': 'ok',
        'worker/jobs': 'ok (denied)',
        'worker/subscription': 'ok (denied)',
      });
      const jobs = results.find((r) => r.path === 'app' && r.target === 'jobs')!;
      assert.deepEqual(jobs.data, { queue: 'jobs', messagesPeeked: 0 });
      assert.equal(jobs.identity?.aud, 'https://storage.azure.com');
    });

    it('peeks the queue as the identity it is declared for: data, an empty queue is an answer', async () => {
      const r = await run(sb.connection, { target: 'queue', settings: await queueSettings('app') });
      assert.deepEqual(r.problems, []);
      assert.equal(r.classification, undefined, JSON.stringify(r));
      assert.deepEqual(r.data, { queue: 'jobs', messagesPeeked: 0 });
      assert.match(r.scope, /\/storageAccounts\/[^/]+\/queueServices\/default\/queues\/jobs$/);
    });

    it('a denied identity is refused by Storage, and the classifier reads forbidden / rbac', async () => {
      const r = await run(sb.connection, {
        target: 'queue',
        clientId: worker(),
        settings: await queueSettings('worker'),
      });
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
      const r = await run(sb.connection, {
        target: 'queue',
        settings: await queueSettings('app', 'missing-queue'),
      });
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
      const settings = await plannedSettings(sb.connection, 'app', 'subscription');
      assert.equal(
        settings.AZURE_RESOURCE_GROUP,
        undefined,
        "the app's own group does not leak into the scope",
      );
      const allowed = await run(sb.connection, { target: 'arm', settings });
      assert.deepEqual(allowed.problems, [], 'only the subscription is required then');
      assert.equal(allowed.scope, `/subscriptions/${sub}`);
      assert.equal(allowed.classification, undefined, JSON.stringify(allowed));
      assert.equal(allowed.data?.subscription, sub);
      assert.ok(Number(allowed.data?.resourcesOnFirstPage) > 0, JSON.stringify(allowed.data));
      assert.ok(Number(allowed.data?.resourcesOnFirstPage) <= 10, 'the first page, at most 10');

      const denied = await run(sb.connection, {
        target: 'arm',
        clientId: worker(),
        settings: await plannedSettings(sb.connection, 'worker', 'subscription'),
      });
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
