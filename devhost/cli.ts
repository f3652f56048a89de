// `npm run devhost` / `node devhost/cli.ts [--port 7071] [--enable-auth] [--app-dir .] [--verbose]`
// A local stand-in for `func start` (see devhost/README.md for what it does not emulate).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { installCoreShim } from './coreShim.ts';
import { startHost } from './host.ts';
import type { RunningHost } from './host.ts';
import { hostLog, sanitizeConsole, setVerbose } from './logger.ts';
import { addSecret, sanitize } from './sanitize.ts';
import { applyLocalSettings, StartupError } from './settings.ts';

// The seam must exist before anything can load @azure/functions (docs/host-notes.md B.5 step 1).
installCoreShim();

const usage = `Usage: node devhost/cli.ts [options]
  --port N         port to listen on (default 7071; 0 picks a free port)
  --host ADDR      address to bind (default 127.0.0.1)
  --enable-auth    enforce function/admin keys (like func start --enableAuth); keys in .devhost/keys.json
  --keys-file P    keys file to use with --enable-auth
  --app-dir DIR    the function app folder: package.json, host.json, local.settings.json (default: cwd)
  --verbose        show debug logs`;

/** Variables read only at process start: set by local.settings.json, they need a fresh process to take effect. */
const START_ONLY = ['NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS'];

function fail(message: string): never {
  process.stderr.write(sanitize(`[devhost] error: ${message}`) + '\n');
  process.exit(1);
}

/**
 * Core Tools copies local.settings.json Values into the environment where unset. The parent of a re-exec has
 * already done so; the child must not report every key as "skipped". Returns true when the host now runs in a
 * child process (settings that Node reads only at start changed).
 */
function applySettingsOrReexec(appDir: string): boolean {
  if (process.env.DEVHOST_SETTINGS_APPLIED === appDir) return false;
  const before = Object.fromEntries(START_ONLY.map((k) => [k, process.env[k]]));
  let settings;
  try {
    settings = applyLocalSettings(appDir);
  } catch (err) {
    fail((err as Error).message);
  }
  if (settings.found) {
    hostLog(
      'information',
      `Settings from ${settings.path}: ${settings.applied.join(', ') || '(none applied)'}`,
    );
    for (const k of settings.skipped) {
      hostLog(
        'information',
        `Skipping '${k}' from local settings as it's already defined in current environment variables.`,
      );
    }
  }
  if (!START_ONLY.some((k) => process.env[k] !== before[k])) return false;
  // NODE_EXTRA_CA_CERTS is read only when Node starts; Core Tools starts the worker with these settings in its
  // environment, so run the host in a child process that has them from the start.
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, DEVHOST_SETTINGS_APPLIED: appDir },
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return true;
}

/** SIGINT/SIGTERM close the host gracefully, but bounded; a second signal exits at once. */
function stopOnSignals(host: RunningHost): void {
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) {
      hostLog('warning', `${sig} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    hostLog('information', `${sig} received`);
    // Graceful, but bounded: a hung invocation must not keep the process alive forever.
    const force = setTimeout(() => {
      hostLog('error', 'Shutdown took longer than 30 s; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    host.close().then(
      () => process.exit(0),
      (err: unknown) => {
        hostLog('error', `appTerminate hook failed: ${(err as Error)?.stack ?? err}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        port: { type: 'string', default: '7071' },
        host: { type: 'string', default: '127.0.0.1' },
        'enable-auth': { type: 'boolean', default: false },
        enableAuth: { type: 'boolean', default: false },
        'keys-file': { type: 'string' },
        'app-dir': { type: 'string', default: process.cwd() },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    fail(`${(err as Error).message}\n${usage}`);
  }
  if (args.help) {
    console.log(usage);
    return;
  }
  const port = Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0-65535, got "${args.port}"`);
  setVerbose(args.verbose);
  sanitizeConsole();
  const appDir = resolve(args['app-dir']);

  if (applySettingsOrReexec(appDir)) return;
  addSecret(process.env.IDENTITY_HEADER);

  let host: RunningHost;
  try {
    host = await startHost({
      appDir,
      hostname: args.host,
      port,
      enableAuth: args['enable-auth'] || args.enableAuth,
      keysFile: args['keys-file'] ? resolve(args['keys-file']) : undefined,
    });
  } catch (err) {
    if (err instanceof StartupError) fail(err.message);
    fail(`startup failed: ${(err as Error)?.stack ?? err}`);
  }
  if (host.keysFile) {
    hostLog(
      'information',
      `Read a key with: node -p "require('${host.keysFile}').masterKey" (or .hostKeys.default)`,
    );
  }

  stopOnSignals(host);
}

process.on('unhandledRejection', (err) => {
  hostLog('error', `Unhandled rejection: ${(err as Error)?.stack ?? err}`);
});

main().catch((err: unknown) => fail(`${(err as Error)?.stack ?? err}`));
