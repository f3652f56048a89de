// The pure parts of `npm start`: local.settings.json ownership, the host environment and the matrix.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { SandboxConnection } from '../../sandbox/connection.ts';
import {
  ensureLocalSettings,
  hostEnv,
  PATH_IDS,
  renderMatrix,
  TARGET_IDS,
  toCell,
} from '../../scripts/lib/stack.ts';
import type { Cell } from '../../scripts/lib/stack.ts';

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
