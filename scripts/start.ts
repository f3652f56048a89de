// `npm start [-- --scenario NAME] [--declaration FILE] [--port 7071] [--enable-auth]`
// The whole product on one machine: the local Azure (sandbox), the app on a Functions host (Core Tools when
// installed, else the dev host), one sweep of every identity path printed as a matrix, then it keeps serving.
// With --declaration, a team's own probe declaration: the sandbox builds its world from the file, the app reads it
// (PROBES_DECLARATION) with the sandbox's values for its %SETTING% references, and the matrix is its identities x
// its resources (docs/declaration.md "Trying a declaration locally").
// Ctrl-C stops the host and the sandbox (each in its own process group, so nothing is left behind).
// npm's `prestart` has already installed dependencies and built the app.
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultKeysFile } from '../devhost/keys.ts';
import { renderPrivileges, sweepPrivileges } from './lib/privileges.ts';
import type { Proc } from './lib/proc.ts';
import {
  apiUrl,
  CANARY_LAYOUT,
  declarationEnv,
  declarationLayout,
  declarationPath,
  ensureLocalSettings,
  hostEnv,
  readHostKey,
  renderMatrix,
  REPO_ROOT,
  routePrefix,
  startHostProcess,
  startSandboxProcess,
  sweep,
} from './lib/stack.ts';
import type { HostProcess, MatrixLayout, SandboxProcess } from './lib/stack.ts';

const usage = `Usage: npm start [-- --scenario NAME] [--declaration FILE] [--port N] [--enable-auth]
  --scenario NAME   sandbox scenario (default healthy; see sandbox/worlds/)
  --declaration FILE
                    probe this declaration instead of the canary demo: the sandbox builds its world from it
                    (docs/declaration.md)
  --port N          Functions host port (default 7071)
  --enable-auth     enforce function keys, as func start --enableAuth
  --app-dir DIR     the function app folder (default: this repository)
  --state-dir DIR   sandbox state folder (default: <app-dir>/.sandbox)`;

function parseCli() {
  try {
    return parseArgs({
      options: {
        scenario: { type: 'string', default: 'healthy' },
        declaration: { type: 'string' },
        port: { type: 'string', default: '7071' },
        'enable-auth': { type: 'boolean', default: false },
        'app-dir': { type: 'string', default: REPO_ROOT },
        'state-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    process.exit(2);
  }
}
const args = parseCli();
if (args.help) {
  console.log(usage);
  process.exit(0);
}
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be 0-65535, got "${args.port}"`);
  process.exit(2);
}
const declarationFile = args.declaration === undefined ? undefined : declarationPath(args.declaration);
if (declarationFile !== undefined && !(existsSync(declarationFile) && statSync(declarationFile).isFile())) {
  console.error(`--declaration: no such file: ${declarationFile}`);
  process.exit(2);
}
const appDir = resolve(args['app-dir']);
const stateDir = resolve(args['state-dir'] ?? join(appDir, '.sandbox'));
const hostLogDir = join(appDir, '.devhost');
mkdirSync(stateDir, { recursive: true });
mkdirSync(hostLogDir, { recursive: true });

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const bold = (s: string) => (color ? `\x1b[1m${s}\x1b[0m` : s);
const say = (s: string) => console.log(`[start] ${s}`);

const sandboxLogPath = join(stateDir, 'sandbox.log');
const hostLogPath = join(hostLogDir, 'host.log');
const sandboxLog = createWriteStream(sandboxLogPath);
const hostLog = createWriteStream(hostLogPath);
let liveHostLog = false;

let sandbox: SandboxProcess | undefined;
let host: HostProcess | undefined;
/** What the matrix shows: the canary demo, or the declaration's identities x resources. */
let layout: MatrixLayout = CANARY_LAYOUT;
let stopping = false;

async function stopAll(code: number): Promise<never> {
  if (stopping) {
    // A second Ctrl-C: do not wait for graceful shutdown.
    host?.proc.kill();
    sandbox?.proc.kill();
    process.exit(130);
  }
  stopping = true;
  liveHostLog = false;
  const stopOne = async (p: Proc | undefined, name: string) => {
    if (!p) return;
    try {
      await p.stop('SIGTERM', 30_000);
    } catch {
      say(`${name} did not stop in time; killed`);
    }
    p.kill(); // the whole process group, in case a grandchild outlived its parent
  };
  await stopOne(host?.proc, 'the host');
  await stopOne(sandbox?.proc, 'the sandbox');
  say('stopped the host and the sandbox');
  process.exit(code);
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    if (!stopping) console.log('');
    void stopAll(0);
  });
}

function tail(p: Proc | undefined, lines = 30): string {
  return (p?.output() ?? '').trimEnd().split('\n').slice(-lines).join('\n');
}

/** The sweep of every path against every target, shown as a matrix, each identity's privileges, the app's URLs. */
async function sweepAndShow(h: NonNullable<typeof host>): Promise<void> {
  const prefix = routePrefix(appDir);
  const key = args['enable-auth'] && h.kind === 'devhost' ? readHostKey(appDir) : undefined;
  say(
    layout.title
      ? `sweeping every declared identity against its resources (${layout.cells.size} probes)...`
      : 'sweeping every identity path against every target...',
  );
  const cells = await sweep(h.baseUrl, prefix, key, layout);

  console.log('');
  console.log(
    bold(
      layout.title
        ? `  identity-probes: identities x resources of declaration '${layout.title}' (scenario '${args.scenario}', ${h.kind})`
        : `  identity-probes: paths x targets (scenario '${args.scenario}', ${h.kind})`,
    ),
  );
  console.log('');
  console.log(renderMatrix(cells, { color, layout }));
  console.log('');
  // The privileges check of the canary wiring's identities (system, app, federated); a declaration's own identities
  // are checked through its routes (/api/privileges/{identity}).
  if (!declarationFile) {
    console.log(renderPrivileges(await sweepPrivileges(h.baseUrl, prefix, key), { color }));
    console.log('');
  }
  console.log(`  Status: ${apiUrl(h.baseUrl, prefix, 'status')}`);
  console.log(`  Health: ${apiUrl(h.baseUrl, prefix, 'health')}`);
  console.log(`  Probe:  ${apiUrl(h.baseUrl, prefix, 'probes/{path}/{target?}')}`);
  console.log(`  Privileges: ${apiUrl(h.baseUrl, prefix, 'privileges/{path}')}`);
  if (args['enable-auth']) {
    console.log(
      `  Keys:   function routes need x-functions-key; read one with node -p "require('${defaultKeysFile(appDir)}').masterKey"`,
    );
  }
  console.log('');
}

async function main(): Promise<void> {
  say(
    `starting the sandbox (scenario '${args.scenario}'${declarationFile ? `, declaration ${declarationFile}` : ''}); log: ${sandboxLogPath}`,
  );
  try {
    sandbox = await startSandboxProcess({
      scenario: args.scenario,
      stateDir,
      ...(declarationFile ? { declaration: declarationFile } : {}),
      procOptions: { onData: (d) => sandboxLog.write(d) },
    });
  } catch (err) {
    // The sandbox's own reason (a declaration it cannot serve names the entry and field) is its `sandbox: ` line.
    const lines = (err as Error).message.split('\n');
    console.error(
      `[start] the sandbox did not start: ${lines.find((l) => l.startsWith('sandbox: ')) ?? lines[0]}`,
    );
    console.error(`[start] see ${sandboxLogPath}`);
    return stopAll(1);
  }
  say(`sandbox ready; connection file: ${sandbox.connectionFile}`);

  const settings = ensureLocalSettings(appDir, stateDir, sandbox.connection);
  if (settings.action === 'written') say(`wrote ${settings.path} from the sandbox connection file`);
  if (settings.action === 'refreshed')
    say(`refreshed ${settings.path} (written by npm start, not edited since)`);
  if (settings.action === 'kept') {
    say(
      `using your own ${settings.path}; not overwritten (delete it to let npm start write one for the sandbox)`,
    );
  }
  const { env, overridden } = hostEnv(process.env, settings, stateDir);
  if (overridden.length)
    say(`sandbox settings take precedence over your shell for: ${overridden.join(', ')}`);
  if (declarationFile) {
    const declared = declarationEnv(declarationFile, sandbox.connection);
    Object.assign(env, declared);
    layout = declarationLayout(declarationFile, { ...settings.values, ...declared });
    say(
      `declaration '${layout.title}': ${layout.rows.length} identities x ${layout.columns.length} resources, ${layout.cells.size} probes; the app reads it (PROBES_DECLARATION) with the sandbox's values for ${Object.keys(declared).length - 1} setting(s)`,
    );
  }

  try {
    host = await startHostProcess({
      appDir,
      port,
      enableAuth: args['enable-auth'],
      env,
      procOptions: {
        onData: (d) => {
          hostLog.write(d);
          if (liveHostLog) process.stdout.write(d);
        },
      },
    });
  } catch (err) {
    console.error(`[start] the Functions host did not start: ${(err as Error).message.split('\n')[0]}`);
    console.error(tail(host?.proc) || `[start] see ${hostLogPath}`);
    return stopAll(1);
  }
  say(
    `${host.kind === 'func' ? 'Core Tools (func start)' : 'the dev host'} is serving ${host.baseUrl}; log: ${hostLogPath}`,
  );
  void host.proc.exited.then((code) => {
    if (stopping) return;
    console.error(
      `[start] the Functions host exited unexpectedly (${code}); last lines:\n${tail(host?.proc)}`,
    );
    void stopAll(1);
  });
  void sandbox.proc.exited.then((code) => {
    if (stopping) return;
    console.error(`[start] the sandbox exited unexpectedly (${code}); see ${sandboxLogPath}`);
    void stopAll(1);
  });

  await sweepAndShow(host);
  say(`serving; host log follows (also in ${hostLogPath}). Ctrl-C stops the host and the sandbox.`);
  liveHostLog = true;
}

main().catch((err: unknown) => {
  console.error(`[start] ${(err as Error)?.stack ?? err}`);
  void stopAll(1);
});
