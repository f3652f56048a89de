// Federated credential mismatches as the real Azure CLI reports them (`az login --service-principal
// --federated-token`): each mismatch gets Entra's current code and wording (subject AADSTS700213, case-only subject
// AADSTS7002138, issuer AADSTS700211, audience AADSTS700212), passed through MSAL Python unchanged. And the
// function app's identity as `az functionapp identity remove/assign` changes it (this world's federated logins do not
// use the attached identity, so the change cannot disturb them).
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { generateKeyPair, SignJWT } from 'jose';
import { admin, identity, request } from '../support/sandbox.ts';
import { describeAz, federatedLogin } from './helpers.ts';

const SUBJECT = 'system:serviceaccount:probes:identity-probes';

describeAz('federated credential mismatches through the Azure CLI', (suite) => {
  const c = () => suite.connection;
  const tokens: Record<string, string> = {};
  const workloadToken = async (query = '') => {
    const res = await request(c(), `${c().endpoints.oidcIssuer}/workloads/identity-probes/token${query}`);
    assert.equal(res.status, 200, res.text);
    return res.json<{ value: string }>().value;
  };

  before(async () => {
    // Prepared one after another: a fault applies to the next OIDC request only.
    tokens.subject = await workloadToken(`?subject=${encodeURIComponent('system:serviceaccount:other:sa')}`);
    tokens.caseOnly = await workloadToken(`?subject=${encodeURIComponent(SUBJECT.toUpperCase())}`);
    await admin(c(), 'POST', '/_sandbox/faults', { endpoint: 'oidc', kind: 'wrong-audience', count: 1 });
    tokens.audience = await workloadToken();
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    tokens.issuer = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'k', typ: 'JWT' })
      .setIssuer('https://issuer.example.invalid/other')
      .setSubject(SUBJECT)
      .setAudience('api://AzureADTokenExchange')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(privateKey);
  });

  const login = async (name: string) => {
    const r = await suite.open(name).run(federatedLogin(c(), tokens[name]));
    assert.notEqual(r.code, 0, `${name}: az login succeeded`);
    assert.ok(!r.stderr.includes(tokens[name]), 'the assertion appeared in what az printed');
    return r.stderr;
  };

  it('a subject no credential names: AADSTS700213', async () => {
    const err = await login('subject');
    assert.match(
      err,
      /AADSTS700213: No matching federated identity record found for presented assertion subject 'system:serviceaccount:other:sa'\. Check your federated identity credential Subject, Audience and Issuer against the presented assertion\./,
    );
  });

  it('a subject that matches only case-insensitively: AADSTS7002138', async () => {
    const err = await login('caseOnly');
    assert.match(
      err,
      /AADSTS7002138: No matching federated identity record found for presented assertion subject/,
    );
    assert.match(
      err,
      /The subject matches with case-insensitive comparison, but not with case-sensitive comparison\./,
    );
  });

  it('an issuer no credential names: AADSTS700211', async () => {
    const err = await login('issuer');
    assert.match(
      err,
      /AADSTS700211: No matching federated identity record found for presented assertion issuer 'https:\/\/issuer\.example\.invalid\/other'/,
    );
  });

  it('an audience the credential does not list: AADSTS700212', async () => {
    const err = await login('audience');
    assert.match(
      err,
      /AADSTS700212: No matching federated identity record found for presented assertion audience 'https:\/\/wrong-audience\.invalid'/,
    );
  });

  it('az functionapp identity remove / assign detach and attach the UAMI the managed identity endpoint serves', async () => {
    const operator = await suite.operator();
    const app = identity(c(), 'app');
    // `az functionapp identity remove|assign` of the app's identity on the function app, as the operator.
    const appIdentity = async (verb: 'remove' | 'assign') =>
      JSON.parse(
        await operator.ok([
          'functionapp',
          'identity',
          verb,
          '--name',
          'func-identity-probes',
          '--resource-group',
          c().resourceGroup,
          '--identities',
          app.resourceId!,
          '-o',
          'json',
        ]),
      ) as { type: string; userAssignedIdentities?: Record<string, { clientId: string }> | null };
    let attempts = 0;
    const mi = () =>
      suite
        .open(`mi-${++attempts}`, suite.miEnv())
        .run(['login', '--identity', '--client-id', app.clientId, '-o', 'none']);
    const removed = await appIdentity('remove');
    // Other attached identities (the host's) stay; the app's is gone.
    assert.ok(
      !Object.keys(removed.userAssignedIdentities ?? {}).some(
        (k) => k.toLowerCase() === app.resourceId!.toLowerCase(),
      ),
    );
    const refused = await mi();
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Unable to load the proper Managed Identity/);
    const assigned = await appIdentity('assign');
    assert.equal(assigned.type, 'SystemAssigned, UserAssigned');
    assert.equal(assigned.userAssignedIdentities?.[app.resourceId!]?.clientId, app.clientId);
    assert.equal((await mi()).code, 0);
  });
});
