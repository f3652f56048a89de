// Where the declaration comes from (src/declaration/source.ts), the parts that need no Azure: the package's file,
// read once per process and relative to the app root; what a missing, unreadable or non-JSON file gets; settings
// that are set but invalid; and which URLs may be sent a token. The blob itself: test/app/integration/declaration-source.test.ts.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../../src/config.ts';
import {
  forgetDeclarationReads,
  MAX_DECLARATION_BYTES,
  readDeclaration,
  untrustedBlobUrl,
} from '../../../src/declaration/source.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'idp-declaration-source-'));
after(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => forgetDeclarationReads());

const NOW = () => new Date('2026-12-05T06:00:00.000Z');
const config = (env: Record<string, string> = {}) => loadConfig(env);

describe('the declaration file in the package', () => {
  test('by default: declarations/default.json under the app root (the folder holding host.json)', async () => {
    const read = await readDeclaration(config(), { now: NOW });
    assert.equal(read.source, 'package:declarations/default.json');
    assert.deepEqual(read.raw, JSON.parse(readFileSync(join(ROOT, 'declarations', 'default.json'), 'utf8')));
    assert.equal(read.readAt, '2026-12-05T06:00:00.000Z');
    assert.equal(read.problem, undefined);
    assert.equal(read.etag, undefined);
  });

  test('a relative PROBES_DECLARATION is found from the app root, and read once per process', async () => {
    writeFileSync(join(dir, 'team.json'), JSON.stringify({ name: 'team', version: '1' }));
    const cfg = config({ PROBES_DECLARATION: 'team.json' });
    const first = await readDeclaration(cfg, { appRoot: dir });
    assert.equal(first.source, 'package:team.json');
    assert.deepEqual(first.raw, { name: 'team', version: '1' });
    writeFileSync(join(dir, 'team.json'), JSON.stringify({ name: 'team', version: '2' }));
    assert.deepEqual((await readDeclaration(cfg, { appRoot: dir })).raw, { name: 'team', version: '1' });
    forgetDeclarationReads(); // a new process
    assert.deepEqual((await readDeclaration(cfg, { appRoot: dir })).raw, { name: 'team', version: '2' });
  });

  test('an absolute path is read as given (npm start -- --declaration FILE)', async () => {
    const file = join(dir, 'abs.json');
    writeFileSync(file, '\uFEFF{"name":"abs"}'); // a byte order mark, as some editors write
    const read = await readDeclaration(config({ PROBES_DECLARATION: file }));
    assert.equal(read.source, file);
    assert.deepEqual(read.raw, { name: 'abs' });
  });

  const BAD: Array<[string, () => string, RegExp]> = [
    [
      'a missing file',
      () => join(dir, 'missing.json'),
      /missing\.json: file not found \(PROBES_DECLARATION is relative to the app root/,
    ],
    [
      'a folder',
      () => {
        mkdirSync(join(dir, 'folder.json'), { recursive: true });
        return join(dir, 'folder.json');
      },
      /folder\.json: is not a file/,
    ],
    [
      'not JSON',
      () => {
        writeFileSync(join(dir, 'broken.json'), '{ "name": ');
        return join(dir, 'broken.json');
      },
      /broken\.json: not valid JSON: /,
    ],
    [
      'too large',
      () => {
        writeFileSync(join(dir, 'large.json'), `"${'x'.repeat(MAX_DECLARATION_BYTES)}"`);
        return join(dir, 'large.json');
      },
      new RegExp(`large\\.json: is ${MAX_DECLARATION_BYTES + 2} bytes, more than ${MAX_DECLARATION_BYTES}`),
    ],
  ];
  for (const [what, file, message] of BAD)
    test(`${what}: a problem naming the file, no declaration, nothing thrown`, async () => {
      const read = await readDeclaration(config({ PROBES_DECLARATION: file() }));
      assert.equal(read.raw, undefined);
      assert.equal(read.problem?.entry, 'declaration');
      assert.match(read.problem!.message, message);
    });

  test('settings set but invalid are ignored, said, and the default runs', async () => {
    const read = await readDeclaration(
      config({
        PROBES_DECLARATION: 'team.yaml',
        PROBES_DECLARATION_URL: 'http://st.blob.core.windows.net/d/x.json',
      }),
    );
    assert.equal(read.source, 'package:declarations/default.json');
    assert.ok(read.raw);
    assert.equal(read.problem?.field, 'PROBES_DECLARATION');
    assert.match(
      read.problem!.message,
      /PROBES_DECLARATION must be the path of a \.json file; PROBES_DECLARATION_URL must be an https:\/\/ URL: ignored, running package:declarations\/default\.json/,
    );
  });
});

describe('who reads the blob', () => {
  const A = '6c7e9a32-8f0d-4b1e-9a55-0d2c3b4e5f60';
  const B = '57b12e89-41f9-4736-aa94-667e627225ef';
  test('PROBES_DECLARATION_CLIENT_ID, else the host identity, else the system-assigned one', () => {
    assert.deepEqual(
      config({ PROBES_DECLARATION_CLIENT_ID: A, AzureWebJobsStorage__clientId: B }).declaration,
      {
        file: 'declarations/default.json',
        url: undefined,
        clientId: A,
        reader: 'PROBES_DECLARATION_CLIENT_ID',
      },
    );
    assert.equal(config({ AzureWebJobsStorage__clientId: B }).declaration.clientId, B);
    assert.equal(
      config({ AzureWebJobsStorage__clientId: B }).declaration.reader,
      'AzureWebJobsStorage__clientId',
    );
    assert.equal(config({ AzureWebJobsStorage__clientId: 'not-a-guid' }).declaration.reader, 'system');
    assert.equal(config({}).declaration.clientId, undefined);
  });
});

describe('which URLs may be sent a token (checked before any credential is built)', () => {
  const cfg = config({
    STATUS_BLOB_SERVICE_URL: 'https://127.0.0.1:4443/stidentityprobes',
    BLOB_SERVICE_URL: 'https://127.0.0.1:5443/other/',
  });
  const OK = [
    'https://stprobe123.blob.core.windows.net/declarations/team.json',
    'https://stprobe123-secondary.blob.core.windows.net/declarations/team.json',
    'https://stgov.blob.core.usgovcloudapi.net/declarations/a/b.json',
    'https://stcn.blob.core.chinacloudapi.cn/declarations/team.json',
    'https://stzone.z12.blob.storage.azure.net/declarations/team.json',
    'https://127.0.0.1:4443/stidentityprobes/probe-status/team.json', // under the status store's service
    'https://127.0.0.1:5443/other/declarations/team.json', // under the blob target's
  ];
  const REFUSED: Array<[string, RegExp]> = [
    ['http://stprobe123.blob.core.windows.net/declarations/team.json', /https/],
    ['https://stprobe123.blob.core.windows.net/declarations/team.json?sv=1&sig=x', /no SAS/],
    ['https://user:pw@stprobe123.blob.core.windows.net/declarations/team.json', /user information/],
    ['https://stprobe123.blob.core.windows.net/team.json', /a container and a blob/],
    ['https://stprobe123.blob.core.windows.net:8443/declarations/team.json', /no token is sent there/],
    ['https://blob.core.windows.net.attacker.example/declarations/team.json', /no token is sent there/],
    ['https://stprobe123.vault.azure.net/declarations/team.json', /no token is sent there/],
    ['https://127.0.0.1:4443/otheraccount/declarations/team.json', /no token is sent there/], // same origin, not its account
    ['https://127.0.0.1:4443/stidentityprobesx/c/team.json', /no token is sent there/], // a prefix is not a path
    ['https://localhost:4443/stidentityprobes/c/team.json', /no token is sent there/], // another origin
    ['not a url', /absolute URL/],
  ];
  for (const url of OK) test(`trusted: ${url}`, () => assert.equal(untrustedBlobUrl(url, cfg), undefined));
  for (const [url, why] of REFUSED)
    test(`refused: ${url}`, () => assert.match(untrustedBlobUrl(url, cfg) ?? '(trusted)', why));
});

describe('a read that failed but kept a declaration', () => {
  test('the plan runs it, lists the read problem first, and is not complete', async () => {
    const { planOf } = await import('../../../src/declaration/index.ts');
    const cfg = config();
    const good = await readDeclaration(cfg);
    const problem = {
      entry: 'declaration' as const,
      field: 'PROBES_DECLARATION_URL',
      message: 'https://st.blob.core.windows.net/declarations/team.json: HTTP 404 BlobNotFound: no such blob',
    };
    const ok = planOf(good, cfg, {});
    const kept = planOf({ ...good, problem }, cfg, {});
    assert.equal(kept.probes.length, ok.probes.length, 'every probe still runs');
    assert.equal(kept.declaration.complete, false);
    assert.deepEqual(kept.declaration.problems[0], problem);
    assert.equal(kept.declaration.source, 'package:declarations/default.json');
  });
});
