// `npm run sandbox` as a user runs it: it prints where the connection file is, serves until Ctrl-C (SIGINT), then
// stops cleanly and leaves no listener. Two run side by side on one state dir: the second writes
// connection-<pid>.json instead of taking over connection.json (sandbox/index.ts writeConnection).
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SandboxConnection } from '../../../sandbox/connection.ts';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const stateDir = mkdtempSync(join(tmpdir(), 'idp-cli-'));
after(() => rmSync(stateDir, { recursive: true, force: true }));

interface Cli {
  child: ChildProcess;
  output: () => string;
  connectionFile: string;
  connection: SandboxConnection & { pid: number };
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `npm run sandbox` in its own process group (as a terminal would) and waits for the connection file line. */
async function startCli(): Promise<Cli> {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(AZURE_|IDENTITY_|MSI_|IMDS_)/.test(k)) delete env[k];
  const child = spawn('npm', ['run', 'sandbox', '--', '--state-dir', stateDir], {
    cwd: REPO,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  // The line is awaited as output arrives (bounded), not polled for.
  const connectionFile = await new Promise<string>((resolve, reject) => {
    const fail = () => {
      clearTimeout(timer);
      reject(new Error(`no connection file line:\n${out}`));
    };
    const timer = setTimeout(fail, 60_000);
    const check = () => {
      const m = /^connection file: (.+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].trim());
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    child.on('exit', fail);
  });
  const connection = JSON.parse(readFileSync(connectionFile, 'utf8')) as Cli['connection'];
  return { child, output: () => out, connectionFile, connection, exit };
}

function ports(c: SandboxConnection): number[] {
  return [...new Set(Object.values(c.endpoints).map((u) => Number(new URL(u).port)))];
}

/** Resolves when process `pid` is gone (npm may exit before the sandbox under it has finished closing). */
async function gone(pid: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) throw new Error(`process ${pid} still running`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('connect', () => (s.destroy(), resolve(false)));
    s.on('error', () => resolve(true));
  });
}

it('two `npm run sandbox` side by side print their connection files, serve, and stop on SIGINT', async () => {
  const a = await startCli();
  const b = await startCli();
  try {
    assert.equal(a.connectionFile, join(stateDir, 'connection.json'));
    assert.equal(basename(b.connectionFile), `connection-${b.connection.pid}.json`);
    assert.match(a.output(), /Ctrl-C to stop/);
    // Different free ports, both serving.
    const shared = ports(a.connection).filter((p) => ports(b.connection).includes(p));
    assert.deepEqual(shared, []);
    for (const c of [a.connection, b.connection]) {
      const res = await fetch(`${c.endpoints.admin}/_sandbox/scenario`);
      assert.equal(((await res.json()) as { name: string }).name, 'healthy');
      const imds = await fetch(
        `${c.endpoints.imds}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net`,
        {
          headers: { Metadata: 'true' },
        },
      );
      assert.equal(imds.status, 200);
    }
  } finally {
    // a: SIGINT to the sandbox process itself -> it exits 0 and npm passes that on.
    process.kill(a.connection.pid, 'SIGINT');
    // b: SIGINT to the whole process group, as Ctrl-C in a terminal does. npm itself dies of that SIGINT (a shell
    // shows 130) while the sandbox under it handles the signal and closes.
    process.kill(-b.child.pid!, 'SIGINT');
  }
  assert.deepEqual(await a.exit, { code: 0, signal: null }, a.output());
  const bExit = await b.exit;
  assert.ok(
    bExit.code === 0 || bExit.signal === 'SIGINT',
    `npm exit ${JSON.stringify(bExit)}\n${b.output()}`,
  );
  await Promise.all([gone(a.connection.pid), gone(b.connection.pid)]);
  for (const cli of [a, b]) {
    assert.match(cli.output(), /sandbox: SIGINT, stopping/);
    assert.doesNotMatch(cli.output(), /unhandled error|Error:/);
    for (const port of ports(cli.connection)) assert.ok(await refuses(port), `port ${port} still listening`);
  }
  // The secrets in the connection file never reach the terminal.
  for (const cli of [a, b]) {
    const s = cli.connection.sourceSecrets;
    for (const secret of [
      s.identityHeader,
      s.msiSecret,
      s.serviceFabricSecret,
      ...Object.values(s.appSecrets),
    ])
      assert.ok(!cli.output().includes(secret));
  }
});
