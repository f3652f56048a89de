import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { loadConfig } from '../../../src/config.ts';
import { IDENTITY_PATHS } from '../../../src/identities/index.ts';
import {
  attest,
  AttestingCredential,
  compareIdentity,
  decodeClaims,
  newTokenRecord,
  withTokenRecord,
} from '../../../src/core/attestation.ts';
import { signJwt } from '../helpers/jwt.ts';

const UAMI = {
  clientId: '57b12e89-41f9-4736-aa94-667e627225ef',
  oid: '63b2d18a-12b0-4881-b036-8fda3dae8b69',
  rid: '/subscriptions/fede0978-e421-4650-9304-746eefba010e/resourceGroups/rg-identity-probes/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-probes-app',
};
const TENANT = '0ddb16eb-3bbd-4edd-9043-81e700fd85cd';
const config = loadConfig({
  UAMI_CLIENT_ID: UAMI.clientId,
  UAMI_OBJECT_ID: UAMI.oid,
  UAMI_RESOURCE_ID: UAMI.rid,
  SYSTEM_PRINCIPAL_ID: 'dc02f8ab-6df4-4829-bacd-4e730c4e42f2',
  AZURE_TENANT_ID: TENANT,
  AZURE_CLIENT_ID: UAMI.clientId,
});
const uamiExpected = IDENTITY_PATHS['uami-resource-id'].expected(config);

/** A TokenCredential of our own that hands out the JWT it is given (stands for any inner credential). */
class StaticCredential implements TokenCredential {
  calls = 0;
  readonly token: string;
  constructor(token: string) {
    this.token = token;
  }
  async getToken(): Promise<AccessToken> {
    this.calls++;
    return { token: this.token, expiresOnTimestamp: Date.now() + 3600_000 };
  }
}

describe('attestation', () => {
  it('decodes only the attested claims of a real JWT; opaque tokens give none', async () => {
    const jwt = await signJwt({
      oid: UAMI.oid,
      appid: UAMI.clientId,
      tid: TENANT,
      aud: 'https://vault.azure.net',
      xms_mirid: UAMI.rid,
      upn: 'x',
    });
    const claims = decodeClaims(jwt);
    assert.equal(claims.oid, UAMI.oid);
    assert.equal(claims.xms_mirid, UAMI.rid);
    assert.equal(typeof claims.exp, 'number');
    assert.equal((claims as Record<string, unknown>).upn, undefined);
    assert.deepEqual(decodeClaims('opaque-token'), {});
  });

  it('matches oid, appid, xms_mirid (case-insensitively) and tid against the settings', () => {
    assert.deepEqual(
      compareIdentity(uamiExpected, {
        oid: UAMI.oid,
        appid: UAMI.clientId.toUpperCase(),
        xms_mirid: UAMI.rid.toLowerCase(),
        tid: TENANT,
      }),
      [],
    );
    assert.deepEqual(
      compareIdentity(uamiExpected, { oid: UAMI.oid, appid: UAMI.clientId }),
      [],
      'xms_mirid and tid only when present',
    );
    const wrong = compareIdentity(uamiExpected, {
      oid: 'dc02f8ab-6df4-4829-bacd-4e730c4e42f2',
      appid: UAMI.clientId,
      tid: 'other',
    });
    assert.deepEqual(wrong, [
      `oid is dc02f8ab-6df4-4829-bacd-4e730c4e42f2 but UAMI_OBJECT_ID is ${UAMI.oid}`,
      `tid is other but AZURE_TENANT_ID is ${TENANT}`,
    ]);
    assert.match(compareIdentity(uamiExpected, {})[0], /no oid claim/);
  });

  it('attest() summarises claims, expectations and the verdict', () => {
    const a = attest(
      uamiExpected,
      { oid: UAMI.oid, appid: UAMI.clientId, exp: 2_000_000_000 },
      'credential',
    )!;
    assert.equal(a.matches, true);
    assert.equal(a.expiresOn, '2033-05-18T03:33:20.000Z');
    assert.equal(a.expected.oid, UAMI.oid);
    assert.equal(attest(uamiExpected, undefined, 'credential'), undefined);
  });

  it('the wrapper records claims per probe (AsyncLocalStorage), keeps the last claims, and returns the token untouched', async () => {
    const jwt = await signJwt({ oid: UAMI.oid, appid: UAMI.clientId });
    const inner = new StaticCredential(jwt);
    const wrapper = new AttestingCredential(inner);
    const a = newTokenRecord();
    const b = newTokenRecord();
    const [ta] = await Promise.all([
      withTokenRecord(a, () => wrapper.getToken('https://vault.azure.net/.default')),
      withTokenRecord(b, async () => 'no token in this probe'),
    ]);
    assert.equal(ta?.token, jwt, 'the SDK gets the token it asked for');
    assert.equal(a.claims.length, 1);
    assert.equal(a.claims[0].oid, UAMI.oid);
    assert.equal(b.claims.length, 0, 'concurrent probes do not see each other');
    assert.equal(wrapper.lastClaims?.oid, UAMI.oid);
    assert.ok(
      !JSON.stringify(a).includes(jwt) && !JSON.stringify(wrapper).includes(jwt),
      'no raw token kept',
    );
    await wrapper.getToken('x'); // outside any probe: still fine
    assert.equal(inner.calls, 2);
  });

  it('records a credential failure on the probe and rethrows it', async () => {
    const failing: TokenCredential = {
      getToken: async () => Promise.reject(new Error('Identity not found')),
    };
    const record = newTokenRecord();
    await assert.rejects(
      withTokenRecord(record, () => new AttestingCredential(failing).getToken('s')),
      /Identity not found/,
    );
    assert.match(String((record.error as Error).message), /Identity not found/);
    assert.equal(record.pending, 0);
  });
});
