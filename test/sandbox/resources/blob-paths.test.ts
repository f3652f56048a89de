// Dot segments in a Blob URL (issue 24, item 1): the gateway authorizes exactly the name Azurite then stores.
// Storage resolves `..`, `%2e%2e`, `%2E%2E`, `.%2e` (and `.%2F`) after decoding (Azure/azure-sdk-for-rust#5275); the
// gateway resolves them too, authorizes the resolved name and forwards the resolved path. Before, it authorized the
// resolved path and forwarded the raw one: the system identity (Reader on the canary container, Contributor on the
// status container) wrote into `canary` under a literal `rt-x/../../probe-status/...` name.
import assert from 'node:assert/strict';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { removeDotSegments, resolveBlobPath } from '../../../sandbox/resources/blob/path.ts';
import { STORAGE, identity, useTestSandbox } from '../../support/sandbox.ts';
import type { SandboxConnection } from '../../../sandbox/connection.ts';
import { ok, runAs } from './helpers.ts';

const VERSION = '2025-05-05';

/** A request whose path goes on the wire exactly as written (no URL parsing that would resolve dot segments). */
function raw(
  conn: SandboxConnection,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; text: string; code?: string }> {
  const origin = new URL(conn.endpoints.blob);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: origin.hostname,
        port: origin.port,
        method,
        path,
        headers: { ...headers, ...(body !== undefined ? { 'content-length': Buffer.byteLength(body) } : {}) },
        ca: readFileSync(conn.caCertPath, 'utf8'),
        timeout: 15_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text,
            code: res.headers['x-ms-error-code'] as string | undefined,
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

describe('Blob gateway: dot segments resolve to one name for authorization and for the write', () => {
  const sb = useTestSandbox();
  const systemToken = async () => {
    const s = identity(sb.connection, 'system');
    return (
      await sb.context.tokens.issue({
        subject: { principalId: s.principalId, clientId: s.clientId },
        audience: STORAGE,
      })
    ).token;
  };
  const names = async (container: string, token: string): Promise<string[]> => {
    const account = sb.connection.resources.storageAccount;
    const r = await raw(sb.connection, 'GET', `/${account}/${container}?restype=container&comp=list`, {
      authorization: `Bearer ${token}`,
      'x-ms-version': VERSION,
    });
    assert.equal(r.status, 200, r.text);
    return [...r.text.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]);
  };

  it('a walk from the canary container into the status container writes there (as Storage does), never into canary', async () => {
    const c = sb.connection;
    const { storageAccount: account, canaryContainer: canary, statusContainer: status } = c.resources;
    const token = await systemToken();
    const headers = {
      authorization: `Bearer ${token}`,
      'x-ms-version': VERSION,
      'x-ms-blob-type': 'BlockBlob',
    };
    // The system identity may not write canary directly.
    const direct = await raw(c, 'PUT', `/${account}/${canary}/rt-direct.txt`, headers, 'no');
    assert.equal(direct.status, 403);
    assert.equal(direct.code, 'AuthorizationPermissionMismatch');

    const walks = ['..', '%2e%2e', '%2E%2E', '.%2e', '%2e.'];
    for (const [i, dots] of walks.entries()) {
      const path = `/${account}/${canary}/rt-x/${dots}/${dots}/${status}/rt-walk-${i}.txt`;
      const put = await raw(c, 'PUT', path, headers, `walk ${i}`);
      assert.equal(put.status, 201, `${path}: ${put.text}`);
    }
    // `.%2F` decodes to `./`: still a dot segment once decoded.
    const slash = await raw(
      c,
      'PUT',
      `/${account}/${canary}/rt-x/..%2F..%2F${status}/rt-walk-slash.txt`,
      headers,
      's',
    );
    assert.equal(slash.status, 201, slash.text);

    const inCanary = await names(canary, token);
    assert.deepEqual(inCanary, [c.resources.canaryBlob], 'nothing new lands in the canary container');
    const inStatus = await names(status, token);
    for (let i = 0; i < walks.length; i++)
      assert.ok(inStatus.includes(`rt-walk-${i}.txt`), `rt-walk-${i}.txt`);
    assert.ok(inStatus.includes('rt-walk-slash.txt'));

    // DELETE resolves the same way: it removes the status blob the path names, never a canary one.
    const del = await raw(
      c,
      'DELETE',
      `/${account}/${canary}/rt-x/%2e%2e/%2e%2e/${status}/rt-walk-0.txt`,
      headers,
    );
    assert.equal(del.status, 202, del.text);
    assert.ok(!(await names(status, token)).includes('rt-walk-0.txt'));
  });

  it('a walk from the status container into canary is refused: authorization sees the resolved name', async () => {
    const c = sb.connection;
    const { storageAccount: account, canaryContainer: canary, statusContainer: status } = c.resources;
    const token = await systemToken();
    const headers = {
      authorization: `Bearer ${token}`,
      'x-ms-version': VERSION,
      'x-ms-blob-type': 'BlockBlob',
    };
    for (const dots of ['..', '%2e%2e', '%2E%2E', '.%2e']) {
      const put = await raw(
        c,
        'PUT',
        `/${account}/${status}/a/${dots}/${dots}/${canary}/evil.txt`,
        headers,
        'x',
      );
      assert.equal(put.status, 403, dots);
      assert.equal(put.code, 'AuthorizationPermissionMismatch');
      const del = await raw(
        c,
        'DELETE',
        `/${account}/${status}/a/${dots}/${dots}/${canary}/${c.resources.canaryBlob}`,
        headers,
      );
      assert.equal(del.status, 403, dots);
    }
    assert.deepEqual(await names(canary, token), [c.resources.canaryBlob]);
  });

  it('malformed percent-encoding in the path answers 400 InvalidUri in Storage XML', async () => {
    const c = sb.connection;
    const r = await raw(c, 'GET', `/${c.resources.storageAccount}/${c.resources.canaryContainer}/%E0%A4%A`, {
      authorization: `Bearer ${await systemToken()}`,
      'x-ms-version': VERSION,
    });
    assert.equal(r.status, 400);
    assert.equal(r.code, 'InvalidUri');
    assert.match(r.text, /<Code>InvalidUri<\/Code>/);
  });

  it('the real BlobServiceClient: a blob name with dot segments writes where Storage would put it', async () => {
    const c = sb.connection;
    const { canaryContainer: canary, statusContainer: status } = c.resources;
    const [up, listCanary, listStatus] = (
      await runAs(c, 'system', [
        { op: 'blob.upload', container: canary, blob: `rt-x/../../${status}/rt-sdk.txt`, content: 'sdk' },
        { op: 'blob.listBlobs', container: canary },
        { op: 'blob.listBlobs', container: status },
      ])
    ).results;
    ok(up);
    assert.deepEqual(ok(listCanary).names, [c.resources.canaryBlob]);
    assert.ok((ok(listStatus).names as string[]).includes('rt-sdk.txt'));
  });
});

describe('resolveBlobPath', () => {
  it('decodes, resolves dot segments and forwards the resolved path; a dot-free target goes on unchanged', () => {
    assert.deepEqual(resolveBlobPath('/acct/canary/rt-x/../../status/a.txt?comp=x'), {
      segments: ['acct', 'status', 'a.txt'],
      forwardTarget: '/acct/status/a.txt?comp=x',
      resolved: true,
    });
    assert.deepEqual(resolveBlobPath('/acct/c/x/.%2E/%2e/b%20c').segments, ['acct', 'c', 'b c']);
    assert.equal(resolveBlobPath('/acct/c/x/.%2E/b%20c').forwardTarget, '/acct/c/b%20c');
    const plain = '/acct/c/a%2Fb/%7Ex?sig=a%2B';
    assert.deepEqual(resolveBlobPath(plain), {
      segments: ['acct', 'c', 'a', 'b', '~x'],
      forwardTarget: plain,
      resolved: false,
    });
    assert.deepEqual(resolveBlobPath('/acct/c/a..b/.x/x.').segments, ['acct', 'c', 'a..b', '.x', 'x.']);
    assert.throws(() => resolveBlobPath('/acct/%E0%A4%A'), /percent-encoding/);
  });

  it('removeDotSegments never climbs above the root and keeps a trailing slash', () => {
    assert.deepEqual(removeDotSegments(['a', '..', '..', '..', 'b']), ['b']);
    assert.deepEqual(removeDotSegments(['a', 'b', '..']), ['a', '']);
    assert.deepEqual(removeDotSegments(['a', '.', 'b']), ['a', 'b']);
    assert.deepEqual(removeDotSegments(['a', '', 'b']), ['a', '', 'b']);
  });
});
