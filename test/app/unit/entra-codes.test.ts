// The Entra error codes the app reads live in one table (src/core/entraCodes.ts): the federated path's finer
// reasons are federation codes too, so the generic classifier and the path never disagree about what a code means.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CLIENT_CREDENTIAL_AADSTS,
  FEDERATION_AADSTS,
  FEDERATION_REASON,
  FIC_FIELD,
  IDENTITY_NOT_FOUND_AADSTS,
  TENANT_AADSTS,
} from '../../../src/core/entraCodes.ts';

describe('Entra error codes', () => {
  it('every code with a reason is a federation code, and no code means two things', () => {
    for (const code of [...Object.keys(FIC_FIELD), ...Object.keys(FEDERATION_REASON)])
      assert.ok(FEDERATION_AADSTS.has(code), code);
    const all = [
      ...FEDERATION_AADSTS,
      ...IDENTITY_NOT_FOUND_AADSTS,
      ...TENANT_AADSTS,
      ...CLIENT_CREDENTIAL_AADSTS,
    ];
    assert.equal(new Set(all).size, all.length);
  });
});
