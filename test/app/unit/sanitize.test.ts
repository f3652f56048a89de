import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSanitizer } from '../../../src/core/sanitize.ts';
import { signJwt } from '../helpers/jwt.ts';

describe('sanitize', () => {
  const s = createSanitizer(['exact-secret-value-123', 'short']);

  it('redacts anything JWT-shaped, wherever it sits', async () => {
    const jwt = await signJwt({ oid: 'x' });
    const out = s.text(`token=${jwt} and "access_token":"${jwt}" and ${jwt}.`);
    assert.ok(!out.includes(jwt));
    assert.ok(!out.includes(jwt.split('.')[1]), 'payload segment gone');
  });

  it('redacts what is left of a JWT cut short inside its payload (no signature)', async () => {
    const jwt = await signJwt({ oid: 'x', note: 'y'.repeat(200) });
    const [header, payload] = jwt.split('.');
    const cut = `rejected ${header}.${payload.slice(0, 40)}…`;
    assert.equal(s.text(cut), 'rejected [REDACTED]…');
    assert.equal(s.text('version 1.2.3 of eyJ-less text'), 'version 1.2.3 of eyJ-less text');
  });

  it('redacts authorization header values and bearer tokens', () => {
    assert.equal(s.text('Authorization: Bearer abcdefghijklmnop'), 'Authorization: [REDACTED]');
    assert.equal(s.text('sent Bearer abc.def-ghi_jkl'), 'sent Bearer [REDACTED]');
    assert.doesNotMatch(s.text('{"x-identity-header":"0123456789abcdef"}'), /0123456789abcdef/);
    assert.doesNotMatch(s.text('X-IDENTITY-HEADER: 0123456789abcdef'), /0123456789abcdef/);
  });

  it('redacts signed query and form parameters and connection-string keys', () => {
    const out = s.text(
      'https://a.blob.core.windows.net/c/b?sv=2024&sig=abc%2Bdef%3D&se=1 code=xyz123 client_secret=s3cr3t&client_assertion=eyJhbGciOiJ.x ' +
        'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=Zm9vYmFy==;EndpointSuffix=core.windows.net',
    );
    for (const v of ['abc%2Bdef%3D', 'xyz123', 's3cr3t', 'eyJhbGciOiJ', 'Zm9vYmFy=='])
      assert.ok(!out.includes(v), v);
    assert.match(out, /sv=2024/, 'harmless parameters stay');
    assert.match(out, /AccountName=a/);
  });

  it('removes exact known secret values but keeps ordinary text and ids', () => {
    const text =
      'Forbidden for oid 63b2d18a-12b0-4881-b036-8fda3dae8b69: statusCode=403 errorCode=X exact-secret-value-123 short';
    const out = s.text(text);
    assert.ok(!out.includes('exact-secret-value-123'));
    assert.match(out, /63b2d18a-12b0-4881-b036-8fda3dae8b69/, 'principal ids are not secrets');
    assert.match(out, /statusCode=403 errorCode=X/, 'code= inside a word is not an OAuth code');
    assert.match(out, /short$/, 'values under 8 characters are never treated as secrets');
  });

  it('deep-copies objects and arrays, sanitizing every string and keeping other values', async () => {
    const jwt = await signJwt({});
    const input = { a: [jwt, 1, null], b: { c: `Bearer ${jwt}`, d: true }, at: new Date(0) };
    const out = s.deep(input);
    assert.notEqual(out, input);
    assert.deepEqual(out.a, ['[REDACTED]', 1, null]);
    assert.equal(out.b.d, true);
    assert.ok(!JSON.stringify(out).includes(jwt));
    assert.equal(input.a[0], jwt, 'input untouched');
  });
});
