// Every resource server refuses a token for another audience, an expired token, a token signed by a key the tenant
// never published, a token signed with the tenant's key but naming another issuer (so the issuer check itself is
// tested, not only the signature) and a token of a principal with no role assignment, each with its service's real
// error as the real SDK surfaces it. The tokens are handed to the SDK through a fixed TokenCredential in a child
// process. Key Vault also refuses the audiences it does not accept exactly (trailing slash, ARM without one).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ARM, STORAGE, VAULT, err, foreignKeyToken, identity, runSdk, startTestSandbox } from './helpers.ts';
import type { TestSandbox } from './helpers.ts';
import type { Step, StepResult } from './fixtures/sdk-child.ts';

type Bad = 'another audience' | 'expired' | 'unknown signing key' | 'another issuer' | 'unknown principal';
const OTHER_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const OTHER_ISSUER = `https://sts.windows.net/${OTHER_TENANT}/`;
interface Expect {
  statusCode: number;
  code: string;
  message: RegExp;
  header?: RegExp;
}

describe('bad tokens are refused by every resource server', () => {
  let sb: TestSandbox;
  /** Per bad-token kind, one SDK child calling all three services (the token follows the requested scope). */
  let results: Record<Bad, Record<'kv' | 'arm' | 'blob', StepResult>>;
  before(async () => {
    sb = await startTestSandbox();
    const c = sb.connection;
    const app = identity(c, 'app');
    const subject = { principalId: app.principalId, clientId: app.clientId };
    const stranger = { principalId: crypto.randomUUID(), clientId: crypto.randomUUID() };
    const issue = async (
      audience: string,
      o: { other?: string; expired?: boolean; foreign?: boolean; stranger?: boolean; issuer?: string },
    ) => {
      if (o.foreign) return foreignKeyToken(c, app.principalId, audience);
      return (
        await sb.context.tokens.issue({
          subject: o.stranger ? stranger : subject,
          audience: o.other ?? audience,
          expired: o.expired,
          issuer: o.issuer,
        })
      ).token;
    };
    const kinds: Record<Bad, (aud: string) => Promise<string>> = {
      // Each service gets a token for one of the others.
      'another audience': (aud) => issue(aud, { other: aud === VAULT ? ARM : VAULT }),
      expired: (aud) => issue(aud, { expired: true }),
      'unknown signing key': (aud) => issue(aud, { foreign: true }),
      'another issuer': (aud) => issue(aud, { issuer: OTHER_ISSUER }),
      'unknown principal': (aud) => issue(aud, { stranger: true }),
    };
    const steps: Step[] = [
      { op: 'kv.get', name: c.resources.secretName },
      { op: 'arm.getRg', rg: c.resourceGroup },
      { op: 'blob.containerProps', container: c.resources.canaryContainer },
    ];
    const runs = await Promise.all(
      (Object.keys(kinds) as Bad[]).map(async (k) => {
        const env = {
          KV_TOKEN: await kinds[k](VAULT),
          ARM_TOKEN: await kinds[k](ARM),
          STORAGE_TOKEN: await kinds[k](STORAGE),
        };
        const byScope = {
          [`${VAULT}/.default`]: 'KV_TOKEN',
          [`${ARM}.default`]: 'ARM_TOKEN',
          [`${STORAGE}/.default`]: 'STORAGE_TOKEN',
        };
        const run = await runSdk(c, { kind: 'static', tokenEnv: 'NONE', byScope }, steps, env);
        const [kv, arm, blob] = run.results;
        return [k, { kv, arm, blob }] as const;
      }),
    );
    results = Object.fromEntries(runs) as typeof results;
  });
  after(() => sb.close());

  const check = (target: 'kv' | 'arm' | 'blob', expected: Record<Bad, Expect>) => {
    for (const k of Object.keys(expected) as Bad[]) {
      assert.ok(results[k][target]?.error, `${target} accepted a token with ${k}`);
      const e = err(results[k][target]);
      const x = expected[k];
      assert.equal(e.statusCode, x.statusCode, k);
      assert.equal(e.code, x.code, k);
      assert.match(e.message, x.message, k);
      if (x.header) assert.match(e.headers?.['www-authenticate'] ?? '', x.header, `${k}: challenge`);
    }
  };

  it('Key Vault (SecretClient.getSecret)', () => {
    const c = sb.connection;
    const challenge = new RegExp(
      `^Bearer authorization="https://login\\.microsoftonline\\.com/${c.tenantId}", resource="https://vault\\.azure\\.net"$`,
    );
    check('kv', {
      'another audience': {
        statusCode: 401,
        code: 'Unauthorized',
        message:
          /^AKV10022: Invalid audience\. Expected https:\/\/vault\.azure\.net or cfa8b339-82a2-471a-a3c9-0fc0be7a4093, found: https:\/\/management\.azure\.com\/\.$/,
        header: challenge,
      },
      'another issuer': {
        statusCode: 401,
        code: 'Unauthorized',
        message: new RegExp(
          `^AKV10032: Invalid issuer\\. Expected one of https://sts\\.windows\\.net/${c.tenantId}/, found ${OTHER_ISSUER}\\.$`,
        ),
        header: challenge,
      },
      expired: {
        statusCode: 401,
        code: 'Unauthorized',
        message: /^\[TokenExpired\] Error validating token: 'S2S12086'\.$/,
        header: challenge,
      },
      'unknown signing key': {
        statusCode: 401,
        code: 'Unauthorized',
        message: /^AKV10046: Unable to resolve the key used for signature validation\./,
        header: challenge,
      },
      'unknown principal': {
        statusCode: 403,
        code: 'Forbidden',
        message: /^Caller is not authorized to perform action on resource\.\r\n/,
      },
    });
  });

  it('Resource Manager (ResourceManagementClient.resourceGroups.get)', () => {
    const challenge =
      /^Bearer authorization_uri="https:\/\/login\.windows\.net\/", error="invalid_token", error_description="/;
    check('arm', {
      'another audience': {
        statusCode: 401,
        code: 'InvalidAuthenticationTokenAudience',
        message:
          /^The access token has been obtained for wrong audience or resource 'https:\/\/vault\.azure\.net'\. It should exactly match with one of the allowed audiences 'https:\/\/management\.core\.windows\.net\/','https:\/\/management\.core\.windows\.net','https:\/\/management\.azure\.com\/','https:\/\/management\.azure\.com'\.$/,
        header: challenge,
      },
      expired: {
        statusCode: 401,
        code: 'ExpiredAuthenticationToken',
        message:
          /^The access token expiry UTC time '\d{1,2}\/\d{1,2}\/\d{4} \d{1,2}:\d\d:\d\d [AP]M' is earlier than current UTC time '\d{1,2}\/\d{1,2}\/\d{4} \d{1,2}:\d\d:\d\d [AP]M'\.$/,
        header: challenge,
      },
      'unknown signing key': {
        statusCode: 401,
        code: 'InvalidAuthenticationToken',
        message: /^The access token is invalid\.$/,
        header: challenge,
      },
      'another issuer': {
        statusCode: 401,
        code: 'InvalidAuthenticationTokenTenant',
        message: new RegExp(`^The access token is from the wrong issuer '${OTHER_ISSUER}'\\.`),
        header: challenge,
      },
      'unknown principal': {
        statusCode: 403,
        code: 'AuthorizationFailed',
        message:
          /^The client '[0-9a-f-]{36}' with object id '[0-9a-f-]{36}' does not have authorization to perform action 'Microsoft\.Resources\/subscriptions\/resourcegroups\/read' over scope '\/subscriptions\/[0-9a-f-]{36}\/resourcegroups\/rg-identity-probes' or the scope is invalid\. If access was recently granted, please refresh your credentials\.$/,
      },
    });
  });

  it('Blob (ContainerClient.getProperties through the gateway)', () => {
    const c = sb.connection;
    const challenge = new RegExp(
      `^Bearer authorization_uri=https://login\\.microsoftonline\\.com/${c.tenantId}/oauth2/authorize resource_id=https://storage\\.azure\\.com$`,
    );
    const authFailed =
      /^Server failed to authenticate the request\. Please refer to the information in the www-authenticate header\.\nRequestId:/;
    check('blob', {
      'another audience': {
        statusCode: 401,
        code: 'InvalidAuthenticationInfo',
        message: authFailed,
        header: challenge,
      },
      expired: { statusCode: 401, code: 'InvalidAuthenticationInfo', message: authFailed, header: challenge },
      'unknown signing key': {
        statusCode: 401,
        code: 'InvalidAuthenticationInfo',
        message: authFailed,
        header: challenge,
      },
      'another issuer': {
        statusCode: 401,
        code: 'InvalidAuthenticationInfo',
        message: authFailed,
        header: challenge,
      },
      'unknown principal': {
        statusCode: 403,
        code: 'AuthorizationPermissionMismatch',
        message:
          /^This request is not authorized to perform this operation using this permission\.\nRequestId:/,
      },
    });
  });

  it('Key Vault accepts exactly https://vault.azure.net or its application id: not with a slash, not ARM', async () => {
    const c = sb.connection;
    const app = identity(c, 'app');
    const subject = { principalId: app.principalId, clientId: app.clientId };
    const audiences = {
      slash: 'https://vault.azure.net/',
      armNoSlash: 'https://management.azure.com',
      armSlash: 'https://management.azure.com/',
      spn: 'spn:cfa8b339-82a2-471a-a3c9-0fc0be7a4093',
      resource: VAULT,
      appId: 'cfa8b339-82a2-471a-a3c9-0fc0be7a4093',
    };
    const env: Record<string, string> = {};
    for (const [k, aud] of Object.entries(audiences))
      env[`T_${k}`] = (await sb.context.tokens.issue({ subject, audience: aud })).token;
    const results = await Promise.all(
      Object.keys(audiences).map(
        async (k) =>
          (
            await runSdk(
              c,
              { kind: 'static', tokenEnv: `T_${k}` },
              [{ op: 'kv.get', name: c.resources.secretName }],
              env,
            )
          ).results[0],
      ),
    );
    const byKey = Object.fromEntries(Object.keys(audiences).map((k, i) => [k, results[i]]));
    for (const k of ['slash', 'armNoSlash', 'armSlash', 'spn'] as const) {
      assert.ok(byKey[k]?.error, `Key Vault accepted a token for '${audiences[k]}'`);
      const e = err(byKey[k]);
      assert.equal(e.statusCode, 401, k);
      assert.equal(e.code, 'Unauthorized', k);
      assert.equal(
        e.message,
        `AKV10022: Invalid audience. Expected https://vault.azure.net or cfa8b339-82a2-471a-a3c9-0fc0be7a4093, found: ${audiences[k]}.`,
      );
    }
    for (const k of ['resource', 'appId'] as const)
      assert.ok(byKey[k]?.ok, `${k}: ${JSON.stringify(byKey[k])}`);
  });
});
