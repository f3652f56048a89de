// The sandbox's local certificate authority. Servers speak HTTPS wherever Azure does; clients trust this CA through
// NODE_EXTRA_CA_CERTS (read once at process start, docs/identity-wire.md §13.3), never by turning TLS checks off.
// The CA is cached under the state directory so a long-running client keeps trusting restarted sandboxes.
import * as x509 from '@peculiar/x509';
import { webcrypto, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

x509.cryptoProvider.set(webcrypto as never);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface CaBundle {
  caCertPath: string;
  caCertPem: string;
  caKeyPem: string;
}

export interface ServerCert {
  certPem: string;
  keyPem: string;
}

function serial(): string {
  // Positive serial: clear the top bit.
  const b = randomBytes(16);
  b[0] = b[0] & 0x7f;
  return b.toString('hex');
}

async function exportKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKeyPem(pem: string): Promise<webcrypto.CryptoKey> {
  const der = x509.PemConverter.decode(pem)[0];
  return await webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']);
}

async function createCa(): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  const notAfter = new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=identity-probes sandbox CA, O=identity-probes (local only)',
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

/**
 * Loads the CA cached in `dir`, or creates it. Safe when several sandboxes start at once: the bundle is published
 * with link(2), which fails if another process won the race, and then everyone reads the winner's bundle.
 */
export async function loadOrCreateCa(dir: string): Promise<CaBundle> {
  mkdirSync(dir, { recursive: true });
  const bundlePath = join(dir, 'ca-bundle.json');
  const caCertPath = join(dir, 'ca.pem');
  if (!existsSync(bundlePath) || !isUsable(bundlePath)) {
    const fresh = await createCa();
    const tmp = join(dir, `.ca-bundle.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    writeFileSync(tmp, JSON.stringify(fresh), { mode: 0o600 });
    try {
      if (existsSync(bundlePath) && !isUsable(bundlePath)) rmSync(bundlePath, { force: true });
      linkSync(tmp, bundlePath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  const { certPem, keyPem } = JSON.parse(readFileSync(bundlePath, 'utf8')) as {
    certPem: string;
    keyPem: string;
  };
  // ca.pem is derived from the bundle; rewriting identical content is harmless when racing.
  if (!existsSync(caCertPath) || readFileSync(caCertPath, 'utf8') !== certPem) {
    const tmp = `${caCertPath}.${process.pid}.tmp`;
    writeFileSync(tmp, certPem);
    // rename(2) is atomic: readers never see a half-written file.
    (await import('node:fs')).renameSync(tmp, caCertPath);
  }
  return { caCertPath, caCertPem: certPem, caKeyPem: keyPem };
}

function isUsable(bundlePath: string): boolean {
  try {
    const { certPem } = JSON.parse(readFileSync(bundlePath, 'utf8')) as { certPem: string };
    const cert = new X509Certificate(certPem);
    // Renew when less than 30 days remain.
    return new Date(cert.validTo).getTime() - Date.now() > 30 * 24 * 3600 * 1000;
  } catch {
    return false;
  }
}

/** Issues a short-lived server certificate for the loopback names every sandbox server answers on. */
export async function issueServerCert(
  ca: CaBundle,
  hostnames: string[] = ['localhost'],
): Promise<ServerCert> {
  const caCert = new x509.X509Certificate(ca.caCertPem);
  const caKey = await importKeyPem(ca.caKeyPem);
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=localhost',
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - 3600 * 1000),
    notAfter: new Date(Date.now() + 30 * 24 * 3600 * 1000),
    signingKey: caKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'ip', value: '127.0.0.1' },
        ...hostnames.map((h) => ({ type: 'dns' as const, value: h })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}
