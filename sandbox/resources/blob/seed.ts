// Internal setup, straight against Azurite (not through the gateway): the world's containers and canary blobs exist
// before the sandbox reports ready. Azurite accepts any well-formed v1 token (§3.4), so the sandbox authenticates
// as itself with a token from its own token service; no account key leaves the Azurite launcher.
import https from 'node:https';
import type { SandboxContext } from '../../core/context.ts';
import type { World } from '../../world.ts';

/** The sandbox's own principal for internal setup; it has no role assignments anywhere. */
const SETUP_PRINCIPAL = {
  principalId: '00000000-0000-4000-8000-5a1db0c5e7a9',
  clientId: '00000000-0000-4000-8000-5a1db0c5e7aa',
};
const VERSION = '2025-11-05';

export const canaryContent = (blob: string) =>
  `identity-probes canary blob '${blob}': reading it proves blob read access.\n`;

function call(
  origin: string,
  caPem: string,
  token: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; code?: string }> {
  const u = new URL(path, origin);
  return new Promise((resolve, reject) => {
    const req = https.request(
      u,
      {
        method,
        ca: caPem,
        timeout: 15_000,
        headers: {
          authorization: `Bearer ${token}`,
          'x-ms-version': VERSION,
          'x-ms-date': new Date().toUTCString(),
          'content-length': String(body ? Buffer.byteLength(body) : 0),
          ...headers,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            code: res.headers['x-ms-error-code'] as string | undefined,
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${u.pathname} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

export async function seedWorldData(
  ctx: SandboxContext,
  world: World,
  azuriteOrigin: string,
  caPem: string,
): Promise<void> {
  const { token } = await ctx.tokens.issue({
    subject: SETUP_PRINCIPAL,
    audience: 'https://storage.azure.com',
    lifetimeSeconds: 600,
  });
  for (const account of world.storageAccounts) {
    for (const c of account.containers) {
      const made = await call(
        azuriteOrigin,
        caPem,
        token,
        'PUT',
        `/${account.name}/${c.name}?restype=container`,
        {},
      );
      if (made.status !== 201 && made.code !== 'ContainerAlreadyExists')
        throw new Error(
          `could not create container ${account.name}/${c.name}: HTTP ${made.status} ${made.code ?? ''}`,
        );
      for (const b of c.blobs) {
        const body = canaryContent(b);
        const put = await call(
          azuriteOrigin,
          caPem,
          token,
          'PUT',
          `/${account.name}/${c.name}/${b.split('/').map(encodeURIComponent).join('/')}`,
          {
            'x-ms-blob-type': 'BlockBlob',
            'content-type': 'text/plain; charset=utf-8',
            'if-none-match': '*',
          },
          body,
        );
        if (put.status !== 201 && put.code !== 'BlobAlreadyExists')
          throw new Error(
            `could not create blob ${account.name}/${c.name}/${b}: HTTP ${put.status} ${put.code ?? ''}`,
          );
      }
    }
  }
}
