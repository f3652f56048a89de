// Azurite's blob service as a child process, from the project's own devDependency (node_modules/azurite), started
// and stopped by the sandbox (docs/data-plane.md §3.2, §3.8): HTTPS with the sandbox's server certificate,
// `--oauth basic`, data in memory, the world's storage accounts with random keys. It never outlives the sandbox:
// close() stops it (SIGTERM, then SIGKILL), a process 'exit' hook kills it, and it exits by itself when its IPC
// channel to the sandbox closes (the sandbox died, even by SIGKILL). It runs in its own process group, so only the
// sandbox stops it.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ServerCert } from '../../core/ca.ts';

export interface AzuriteProcess {
  pid: number;
  /** https://127.0.0.1:<port> */
  origin: string;
  /** Account name -> its two keys (base64). */
  keys: Map<string, string[]>;
  close(): Promise<void>;
}

export class AzuriteError extends Error {}

/** Path of Azurite's blob entry point in the project's node_modules (no `exports` map: package.json resolves). */
export function azuriteBlobMain(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'blob', 'main.js');
}

// Preloaded into Azurite's process: exit as soon as the IPC channel to the sandbox closes. The channel itself is
// unref'd so that it does not keep Azurite alive after its own graceful shutdown (SIGTERM closes its server only).
const EXIT_WITH_PARENT =
  "data:text/javascript,if(process.channel)process.channel.unref();process.on('disconnect',()=>process.exit(0))";

const STARTUP_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;

/** Whether `exited` settles within `ms`; the timer never outlives the wait (it would hold the process open). */
function exitedWithin(exited: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    exited.then(() => true),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms))),
  ]).finally(() => clearTimeout(timer));
}

/** Azurite's blob service: https on a free loopback port, OAuth, in memory, quiet. */
function azuriteArgs(certPath: string, keyPath: string): string[] {
  return [
    '--import',
    EXIT_WITH_PARENT,
    azuriteBlobMain(),
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    '0',
    '--oauth',
    'basic',
    '--cert',
    certPath,
    '--key',
    keyPath,
    '--inMemoryPersistence',
    // Bounded, so a big test upload cannot take half the machine's memory (Azurite's default).
    '--extentMemoryLimit',
    '256',
    // storage-blob 12.34 sends x-ms-version 2026-10-06, newer than azurite 3.37 knows (2026-06-06).
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--silent',
  ];
}

/** Resolves with the origin Azurite prints once it listens; rejects if it fails, exits or takes too long. */
function listeningOrigin(child: ChildProcess): Promise<string> {
  let output = '';
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new AzuriteError(`Azurite did not start within ${STARTUP_TIMEOUT_MS} ms:\n${output}`)),
      STARTUP_TIMEOUT_MS,
    );
    const onData = (d: Buffer) => {
      output += d.toString('utf8');
      const m = /successfully listens on (https:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new AzuriteError(`Azurite could not be started: ${err.message}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new AzuriteError(`Azurite exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
}

export async function startAzurite(opts: {
  cert: ServerCert;
  accounts: string[];
  log: (line: string) => void;
}): Promise<AzuriteProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'idp-azurite-'));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  writeFileSync(certPath, opts.cert.certPem, { mode: 0o600 });
  writeFileSync(keyPath, opts.cert.keyPem, { mode: 0o600 });
  const keys = new Map(
    opts.accounts.map((a) => [a, [randomBytes(64).toString('base64'), randomBytes(64).toString('base64')]]),
  );
  const accountsEnv = [...keys].map(([a, [k1, k2]]) => `${a}:${k1}:${k2}`).join(';');

  const args = azuriteArgs(certPath, keyPath);
  // A minimal environment: no AZURITE_DB / AZURITE_* from the caller can change what runs, no NODE_OPTIONS.
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, AZURITE_ACCOUNTS: accountsEnv },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Its own process group: a terminal's Ctrl-C reaches the sandbox, which then stops Azurite once. Azurite in
    // the same group would get that SIGINT too, close itself, and then throw "Cannot close server in status
    // Closed" on the sandbox's SIGTERM.
    detached: true,
  });
  const killOnExit = () => {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  };
  process.on('exit', killOnExit);

  let exited = child.exitCode !== null || child.signalCode !== null;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );

  const origin = await listeningOrigin(child).catch(async (err: unknown) => {
    killOnExit();
    await exitedWithin(exitPromise, STOP_TIMEOUT_MS);
    process.off('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  // Keep draining its output so a chatty Azurite never blocks on a full pipe.
  child.stdout!.removeAllListeners('data');
  child.stdout!.resume();
  child.stderr!.removeAllListeners('data');
  child.stderr!.on('data', (d: Buffer) => opts.log(`[azurite] ${d.toString('utf8').trimEnd()}`));

  let closing: Promise<void> | undefined;
  return {
    pid: child.pid!,
    origin,
    keys,
    close: () =>
      (closing ??= (async () => {
        if (!exited) {
          child.kill('SIGTERM');
          const stopped = await exitedWithin(exitPromise, STOP_TIMEOUT_MS);
          if (!stopped) {
            opts.log('[azurite] did not stop on SIGTERM; killing it');
            child.kill('SIGKILL');
            await exitPromise;
          }
        }
        process.off('exit', killOnExit);
        rmSync(dir, { recursive: true, force: true });
      })()),
  };
}
