// The pure parts of `npm start`: local.settings.json ownership, the host environment and the matrix.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { SandboxConnection } from '../../sandbox/connection.ts';
import {
  declarationEnv,
  declarationLayout,
  declarationPath,
  ensureLocalSettings,
  hostEnv,
  PATH_IDS,
  renderMatrix,
  REPO_ROOT,
  TARGET_IDS,
  toCell,
} from '../../scripts/lib/stack.ts';
import type { Cell, MatrixLayout } from '../../scripts/lib/stack.ts';

const dir = mkdtempSync(join(tmpdir(), 'stack-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const caPath = join(dir, 'sandbox-ca.pem');
writeFileSync(caPath, '-----BEGIN CERTIFICATE-----\nSANDBOX\n-----END CERTIFICATE-----\n');
const conn = (port: number) =>
  ({
    appSettings: { KEY_VAULT_URL: `https://127.0.0.1:${port}/`, NODE_EXTRA_CA_CERTS: caPath },
  }) as unknown as SandboxConnection;

describe('local.settings.json from the sandbox', () => {
  const appDir = mkdtempSync(join(dir, 'app-'));
  const stateDir = join(appDir, '.sandbox');
  const file = join(appDir, 'local.settings.json');

  it("writes one when there is none, refreshes its own, and never overwrites the user's", () => {
    const first = ensureLocalSettings(appDir, stateDir, conn(1000));
    assert.equal(first.action, 'written');
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(doc.IsEncrypted, false);
    assert.equal(doc.Values.FUNCTIONS_WORKER_RUNTIME, 'node');
    assert.equal(doc.Values.KEY_VAULT_URL, 'https://127.0.0.1:1000/');

    const second = ensureLocalSettings(appDir, stateDir, conn(2000));
    assert.equal(
      second.action,
      'refreshed',
      'an unedited file npm start wrote follows the new sandbox ports',
    );
    assert.match(readFileSync(file, 'utf8'), /127\.0\.0\.1:2000/);

    const mine = JSON.stringify({
      IsEncrypted: false,
      Values: { KEY_VAULT_URL: 'https://kv.vault.azure.net/' },
    });
    writeFileSync(file, mine);
    const third = ensureLocalSettings(appDir, stateDir, conn(3000));
    assert.equal(third.action, 'kept');
    assert.equal(readFileSync(file, 'utf8'), mine);
    assert.equal(third.values.KEY_VAULT_URL, 'https://kv.vault.azure.net/');
  });
});

describe('host environment', () => {
  it('puts the sandbox CA in NODE_EXTRA_CA_CERTS, bundled with one already set', () => {
    const stateDir = mkdtempSync(join(dir, 'state-'));
    const corp = join(dir, 'corp.pem');
    writeFileSync(corp, '-----BEGIN CERTIFICATE-----\nCORP\n-----END CERTIFICATE-----\n');
    const settings = {
      path: '',
      action: 'written' as const,
      values: { NODE_EXTRA_CA_CERTS: caPath, AZURE_CLIENT_ID: 'x' },
    };
    const { env, overridden } = hostEnv(
      { NODE_EXTRA_CA_CERTS: corp, AZURE_CLIENT_ID: 'mine' },
      settings,
      stateDir,
    );
    const bundle = readFileSync(env.NODE_EXTRA_CA_CERTS!, 'utf8');
    assert.ok(bundle.includes('CORP') && bundle.includes('SANDBOX'));
    assert.equal(env.AZURE_CLIENT_ID, 'x');
    assert.deepEqual(overridden, ['AZURE_CLIENT_ID']);
    assert.equal(hostEnv({}, settings, stateDir).env.NODE_EXTRA_CA_CERTS, caPath);
    const kept = hostEnv({ AZURE_CLIENT_ID: 'mine' }, { ...settings, action: 'kept' }, stateDir);
    assert.equal(
      kept.env.AZURE_CLIENT_ID,
      'mine',
      "the user's own settings file: the shell keeps precedence",
    );
  });
});

describe("the user's settings over the sandbox's defaults", () => {
  it('the shell decides PROBE_TIMEOUT_MS and PROBE_SCHEDULE; the sandbox keeps its endpoints and ids', () => {
    const stateDir = mkdtempSync(join(dir, 'state-'));
    const settings = {
      path: '',
      action: 'written' as const,
      values: {
        PROBE_TIMEOUT_MS: '10000',
        PROBE_SCHEDULE: '0 */5 * * * *',
        KEY_VAULT_URL: 'https://127.0.0.1:1/',
      },
    };
    const { env, overridden } = hostEnv(
      { PROBE_TIMEOUT_MS: '5000', PROBE_SCHEDULE: '*/30 * * * * *', KEY_VAULT_URL: 'https://elsewhere/' },
      settings,
      stateDir,
    );
    assert.equal(env.PROBE_TIMEOUT_MS, '5000', "the user's PROBE_TIMEOUT_MS");
    assert.equal(env.PROBE_SCHEDULE, '*/30 * * * * *');
    assert.equal(env.KEY_VAULT_URL, 'https://127.0.0.1:1/', 'an endpoint the sandbox owns');
    assert.deepEqual(overridden, ['KEY_VAULT_URL']);
    assert.equal(hostEnv({}, settings, stateDir).env.PROBE_TIMEOUT_MS, '10000', 'the default when unset');
  });
});

describe('matrix', () => {
  it('shows outcome and latency in every cell, and the remediation of every failure', () => {
    const cells: Cell[] = PATH_IDS.flatMap((path) =>
      TARGET_IDS.map((target) =>
        toCell(
          path === 'federated' && target === 'blob'
            ? {
                path,
                target,
                outcome: 'forbidden',
                timings: { totalMs: 31.6 },
                remediation: { summary: 'Grant it.', command: 'az role assignment create ...' },
              }
            : { path, target, outcome: 'ok', timings: { tokenMs: 1, callMs: 2, totalMs: 12 } },
          path,
        ),
      ),
    );
    const text = renderMatrix(cells);
    const row = (name: string, cell: (t: string) => string) =>
      new RegExp(`^ {2}${name}${TARGET_IDS.map((t) => `\\s+${cell(t)}`).join('')}$`, 'm');
    assert.match(text, new RegExp(`^${TARGET_IDS.map((t) => `\\s+${t}`).join('')}$`, 'm'));
    assert.match(
      text,
      row('system-assigned', () => 'ok 12ms'),
    );
    assert.match(
      text,
      row('federated', (t) => (t === 'blob' ? 'forbidden 32ms' : 'ok 12ms')),
    );
    assert.match(text, new RegExp(`${cells.length - 1}/${cells.length} ok`));
    assert.match(
      text,
      /^ {2}federated -> blob: forbidden\n {6}Grant it\.\n {6}\$ az role assignment create \.\.\.$/m,
    );
  });
});

describe('a declaration tried locally (npm start -- --declaration FILE)', () => {
  const FILE = join(REPO_ROOT, 'test', 'sandbox', 'fixtures', 'team-declaration.json');
  const guid = (n: number) => `${String(n).repeat(8)}-1111-4111-8111-111111111111`;
  // What the sandbox puts in its connection's appSettings for the file's references (and a canary setting).
  const appSettings: Record<string, string> = {
    SYSTEM_PRINCIPAL_ID: guid(1),
    API_CLIENT_ID: guid(2),
    API_OBJECT_ID: guid(3),
    AZURE_TENANT_ID: guid(4),
    BATCH_CLIENT_ID: guid(5),
    BATCH_OBJECT_ID: guid(6),
    BATCH_TOKEN_FILE: '/tmp/sandbox/token',
    ORDERS_VAULT_URL: 'https://127.0.0.1:1001/',
    ORDERS_BLOB_URL: 'https://127.0.0.1:1002/stidentityprobes',
    ORDERS_SUBSCRIPTION: 'fede0978-e421-4650-9304-746eefba010e',
    ORDERS_GROUP: 'rg-identity-probes',
    ARM_ENDPOINT: 'https://127.0.0.1:1003',
    ORDERS_QUEUE_URL: 'https://127.0.0.1:1004/queue/stidentityprobes',
    KEY_VAULT_URL: 'https://127.0.0.1:1005/',
  };
  const connection = { appSettings } as unknown as SandboxConnection;

  it('the app gets PROBES_DECLARATION and the sandbox values of exactly the settings the file refers to', () => {
    const env = declarationEnv(FILE, connection);
    assert.equal(env.PROBES_DECLARATION, FILE);
    assert.equal(env.ORDERS_QUEUE_URL, appSettings.ORDERS_QUEUE_URL);
    assert.equal(env.KEY_VAULT_URL, undefined, 'not referred to by the file');
    assert.deepEqual(
      Object.keys(env).sort(),
      ['PROBES_DECLARATION', ...Object.keys(appSettings).filter((k) => k !== 'KEY_VAULT_URL')].sort(),
    );
  });

  it('a relative --declaration is relative to where npm was run (INIT_CWD)', () => {
    assert.equal(
      declarationPath('my-probes.json', { INIT_CWD: '/home/me/team' }),
      '/home/me/team/my-probes.json',
    );
    assert.equal(declarationPath('/abs/my-probes.json', { INIT_CWD: '/home/me' }), '/abs/my-probes.json');
  });

  it('the matrix is its identities x its resources, denied cells marked, counted over its probes', () => {
    const layout = declarationLayout(FILE, appSettings);
    assert.equal(layout.title, 'team-orders version 2026-12-05');
    assert.deepEqual(layout.rows, ['app', 'api', 'batch']);
    assert.deepEqual(layout.columns, ['orders-secret', 'orders-blobs', 'orders-rg', 'orders-queue']);
    assert.equal(layout.cells.size, 12);
    assert.equal(layout.cells.get('app orders-secret'), 'denied');
    assert.equal(layout.cells.get('batch orders-rg'), 'denied');
    const cells: Cell[] = layout.rows.flatMap((path) =>
      layout.columns.map((target) =>
        toCell(
          path === 'api' && target === 'orders-queue'
            ? { path, target, outcome: 'no-answer', timings: { totalMs: 5 } }
            : { path, target, outcome: 'ok', timings: { totalMs: 20 } },
          path,
        ),
      ),
    );
    const text = renderMatrix(cells, { layout });
    assert.match(text, /^\s+orders-secret\s+orders-blobs\s+orders-rg\s+orders-queue$/m);
    assert.match(text, /^ {2}app\s+ok \(denied\) 20ms\s+ok 20ms\s+ok 20ms\s+ok 20ms$/m);
    assert.match(text, /^ {2}batch\s+ok 20ms\s+ok 20ms\s+ok \(denied\) 20ms\s+ok 20ms$/m);
    assert.match(text, /^ {2}11\/12 ok$/m);
    assert.match(text, /^ {2}api -> orders-queue: no-answer$/m);

    // A cell the declaration does not probe shows '-'; a probed cell with no result is a failure.
    const partial: MatrixLayout = { ...layout, cells: new Map([...layout.cells].slice(0, 11)) };
    const shown = renderMatrix(cells.slice(0, 10), { layout: partial });
    assert.match(shown, /^ {2}batch\s+ok 20ms\s+ok 20ms\s+no-answer\s+-$/m);
    assert.match(shown, /^ {2}9\/11 ok$/m);
    assert.match(
      shown,
      /^ {2}batch -> orders-rg: no-answer\n {6}the app returned no result for this probe$/m,
    );
  });
});
