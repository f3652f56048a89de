// Blob conformance: the real BlobServiceClient / ContainerClient against Azurite behind the sandbox's RBAC gateway,
// with managed identity tokens from the identity plane (child processes); key-based access and wire details too.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { canaryContent } from '../../../sandbox/resources/blob/seed.ts';
import { ARM, STORAGE, admin, identity, request, useTestSandbox } from '../../support/sandbox.ts';
import { err, ok, runAs, runSdkWithToken } from './helpers.ts';

const MISMATCH = 'This request is not authorized to perform this operation using this permission.';

describe('Blob (BlobServiceClient / ContainerClient through the RBAC gateway)', () => {
  const sb = useTestSandbox();
  let accountId: string;
  const tokenFor = async (principalId: string, audience = STORAGE) =>
    (await sb.context.tokens.issue({ subject: { principalId, clientId: crypto.randomUUID() }, audience }))
      .token;
  before(() => {
    const c = sb.connection;
    accountId = `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${c.resources.storageAccount}`;
  });

  it('a Storage Blob Data Reader reads the canary container and blob; writing answers 403 AuthorizationPermissionMismatch', async () => {
    const c = sb.connection;
    const { canaryContainer: container, canaryBlob: blob } = c.resources;
    const [props, list, download, upload] = (
      await runAs(c, 'system', [
        { op: 'blob.containerProps', container },
        { op: 'blob.listBlobs', container },
        { op: 'blob.download', container, blob },
        { op: 'blob.upload', container, blob: 'intruder.txt', content: 'no' },
      ])
    ).results;
    assert.match(ok(props).etag as string, /^"0x[0-9A-F]+"$/, "Azurite's ETag comes through unchanged");
    assert.deepEqual(ok(list).names, [blob]);
    assert.equal(ok(download).text, canaryContent(blob));
    const e = err(upload);
    assert.equal(e.statusCode, 403);
    assert.equal(e.code, 'AuthorizationPermissionMismatch');
    assert.match(
      e.message,
      new RegExp(
        `^${MISMATCH}\\nRequestId:[0-9a-f-]{36}\\nTime:\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{7}Z$`,
      ),
    );
    assert.equal(e.headers?.['x-ms-error-code'], 'AuthorizationPermissionMismatch');
    assert.match(e.headers?.['content-type'] ?? '', /^application\/xml/);
    assert.match(
      e.body ?? '',
      /^\uFEFF<\?xml version="1\.0" encoding="utf-8"\?><Error><Code>AuthorizationPermissionMismatch<\/Code><Message>/,
    );
  });

  it('a Storage Blob Data Contributor writes with the conditional requests the status store relies on', async () => {
    const c = sb.connection;
    const container = c.resources.statusContainer;
    const [cond, del] = (
      await runAs(c, 'system', [
        { op: 'blob.conditional', container, blob: 'status/latest.json' },
        { op: 'blob.delete', container, blob: 'status/latest.json' },
      ])
    ).results;
    assert.deepEqual(ok(cond), {
      created: true,
      secondCreate: '409 BlobAlreadyExists',
      updatedWithEtag: true,
      staleUpdate: '412 ConditionNotMet',
      final: 'v2',
    });
    ok(del);
  });

  it('authorizes at container scope, inheriting from the account (and never from control-plane roles)', async () => {
    const c = sb.connection;
    const { canaryContainer, statusContainer } = c.resources;
    const containerId = `${accountId}/blobServices/default/containers/${canaryContainer}`;
    const cases = [
      {
        role: 'Storage Blob Data Reader',
        scope: containerId,
        canary: true,
        status: false,
        containers: false,
      },
      { role: 'Storage Blob Data Reader', scope: accountId, canary: true, status: true, containers: true },
      { role: 'Owner', scope: accountId, canary: false, status: false, containers: true },
    ];
    for (const k of cases) {
      const principalId = crypto.randomUUID();
      await admin(c, 'POST', '/_sandbox/role-assignments', { principalId, roleName: k.role, scope: k.scope });
      const [a, b, l] = (
        await runSdkWithToken(c, await tokenFor(principalId), [
          { op: 'blob.listBlobs', container: canaryContainer },
          { op: 'blob.listBlobs', container: statusContainer },
          { op: 'blob.listContainers' },
        ])
      ).results;
      const label = `${k.role} at ${k.scope.split('/').slice(-2).join('/')}`;
      for (const [r, allowed] of [
        [a, k.canary],
        [b, k.status],
        [l, k.containers],
      ] as const) {
        if (allowed) ok(r);
        else assert.equal(err(r).code, 'AuthorizationPermissionMismatch', label);
      }
    }
  });

  it('refuses shared key and SAS while the account disallows key access, and serves them when it allows it', async () => {
    const c = sb.connection;
    const account = c.resources.storageAccount;
    const container = c.resources.canaryContainer;
    // The account key, as a user would get it: ARM listKeys, which needs more than Reader.
    const system = identity(c, 'system');
    const listKeys = `${c.endpoints.arm}${accountId}/listKeys?api-version=2024-01-01`;
    const asSystem = await request(c, listKeys, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${(await sb.context.tokens.issue({ subject: { principalId: system.principalId, clientId: system.clientId }, audience: ARM })).token}`,
      },
    });
    assert.equal(asSystem.status, 403);
    assert.match(asSystem.text, /Microsoft\.Storage\/storageAccounts\/listkeys\/action/);
    const contributor = crypto.randomUUID();
    await admin(c, 'POST', '/_sandbox/role-assignments', {
      principalId: contributor,
      roleName: 'Contributor',
      scope: accountId,
    });
    const keys = await request(c, listKeys, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${(await sb.context.tokens.issue({ subject: { principalId: contributor, clientId: contributor }, audience: ARM })).token}`,
      },
    });
    assert.equal(keys.status, 200);
    const key = (JSON.parse(keys.text) as { keys: Array<{ keyName: string; value: string }> }).keys[0].value;

    const keySteps = [
      { op: 'blob.listBlobs', container, auth: 'sharedKey', account, keyEnv: 'ACCOUNT_KEY' },
      { op: 'blob.listBlobs', container, auth: 'accountSas', account, keyEnv: 'ACCOUNT_KEY' },
    ];
    const refused = await runAs(c, 'system', keySteps, { ACCOUNT_KEY: key });
    for (const r of refused.results) {
      const e = err(r);
      assert.equal(e.statusCode, 403);
      assert.equal(e.code, 'KeyBasedAuthenticationNotPermitted');
      assert.match(e.message, /^Key based authentication is not permitted on this storage account\./);
    }
    const world = sb.context.world.storageAccounts.find((a) => a.name === account)!;
    world.allowSharedKeyAccess = true;
    try {
      const allowed = await runAs(c, 'system', keySteps, { ACCOUNT_KEY: key });
      for (const r of allowed.results) assert.deepEqual(ok(r).names, [c.resources.canaryBlob]);
      // A wrong key is still refused, by Azurite's own signature check. (Azurite answers 400 InvalidAuthenticationInfo
      // where Azure answers 403 AuthenticationFailed: its bearer authenticator gets the request after the shared key
      // one fails. Key access is forwarded as is, so this is Azurite's answer.)
      const wrong = await runAs(c, 'system', keySteps.slice(0, 1), {
        ACCOUNT_KEY: Buffer.alloc(64, 1).toString('base64'),
      });
      assert.equal(err(wrong.results[0]).statusCode, 400);
      assert.equal(err(wrong.results[0]).code, 'InvalidAuthenticationInfo');
    } finally {
      world.allowSharedKeyAccess = false;
    }
  });

  it('a user delegation SAS (Entra-signed) works without shared key, authorized as its signer', async () => {
    const c = sb.connection;
    const principalId = crypto.randomUUID();
    await admin(c, 'POST', '/_sandbox/role-assignments', {
      principalId,
      roleName: 'Storage Blob Data Reader',
      scope: accountId,
    });
    const run = await runSdkWithToken(c, await tokenFor(principalId), [
      {
        op: 'blob.userDelegationSas',
        container: c.resources.canaryContainer,
        blob: c.resources.canaryBlob,
        account: c.resources.storageAccount,
      },
    ]);
    const r = ok(run.results[0]);
    assert.equal(r.text, canaryContent(c.resources.canaryBlob));
    assert.equal(r.skoid, principalId);
    // The container-scoped system identity cannot get a delegation key: that action is checked at the account.
    const system = await runAs(c, 'system', [
      {
        op: 'blob.userDelegationSas',
        container: c.resources.canaryContainer,
        blob: c.resources.canaryBlob,
        account: c.resources.storageAccount,
      },
    ]);
    assert.equal(err(system.results[0]).code, 'AuthorizationPermissionMismatch');
  });

  it('answers 401 with the challenge Storage sends, and checks the account-specific audience', async () => {
    const c = sb.connection;
    const url = `${c.endpoints.blob}/${c.resources.canaryContainer}?restype=container`;
    const none = await request(c, url, { headers: { 'x-ms-version': '2026-10-06' } });
    assert.equal(none.status, 401);
    assert.equal(none.headers['x-ms-error-code'], 'NoAuthenticationInformation');
    assert.equal(
      none.headers['www-authenticate'],
      `Bearer authorization_uri=https://login.microsoftonline.com/${c.tenantId}/oauth2/authorize resource_id=https://storage.azure.com`,
    );
    assert.match(
      none.text,
      /<Code>NoAuthenticationInformation<\/Code><Message>Server failed to authenticate the request\. Please refer to the information in the www-authenticate header\.\n/,
    );

    const system = identity(c, 'system').principalId;
    const own = `https://${c.resources.storageAccount}.blob.core.windows.net`;
    const cases: Array<[string, number, string?]> = [
      [own, 200],
      [`${own}/`, 200],
      ['e406a681-f3d4-42a8-90b6-c2b029497af1', 200],
      [
        'https://otheraccount.blob.core.windows.net',
        401,
        'Audience validation failed. Audience did not match.',
      ],
    ];
    for (const [aud, status, detail] of cases) {
      const res = await request(c, url, {
        headers: { 'x-ms-version': '2026-10-06', authorization: `Bearer ${await tokenFor(system, aud)}` },
      });
      assert.equal(res.status, status, aud);
      if (detail)
        assert.match(
          res.text,
          new RegExp(`<AuthenticationErrorDetail>${detail}</AuthenticationErrorDetail>`),
        );
    }
    const old = await request(c, url, {
      headers: { 'x-ms-version': '2017-04-17', authorization: `Bearer ${await tokenFor(system)}` },
    });
    assert.equal(old.status, 403, 'bearer tokens need x-ms-version >= 2017-11-09');
    assert.match(old.text, /Authentication scheme Bearer is not supported in this version\./);
  });
});
