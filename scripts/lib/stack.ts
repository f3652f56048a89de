// The pieces `npm start` is made of, shared with the end-to-end tests so that they run the product exactly as a
// user does: the sandbox and the Functions host as separate processes, local.settings.json written from the
// sandbox connection file, one sweep of every identity path, and the matrix that shows it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultKeysFile } from '../../devhost/keys.ts';
import { readHostJson } from '../../devhost/settings.ts';
import type { SandboxConnection } from '../../sandbox/connection.ts';
import { PATH_IDS, TARGET_IDS } from '../../src/ids.ts';
import { getJson, startProc } from './proc.ts';
import type { Proc, ProcOptions } from './proc.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Stable ids (docs/design.md "Identity paths", "Targets"), from the app's src/ids.ts. */
export { PATH_IDS, TARGET_IDS };

// ---------------------------------------------------------------------------------------------------------------
// The sandbox process

export interface SandboxProcess {
  proc: Proc;
  connection: SandboxConnection;
  connectionFile: string;
}

/** Runs `node sandbox/cli.ts` and waits for it to print its connection file. */
export async function startSandboxProcess(opts: {
  scenario: string;
  stateDir: string;
  procOptions?: ProcOptions;
  timeoutMs?: number;
}): Promise<SandboxProcess> {
  const proc = startProc(
    process.execPath,
    [join(REPO_ROOT, 'sandbox', 'cli.ts'), '--scenario', opts.scenario, '--state-dir', opts.stateDir],
    { cwd: REPO_ROOT, ...opts.procOptions },
  );
  try {
    const m = await proc.waitFor(/connection file: (.+)\r?\n/, opts.timeoutMs ?? 90_000);
    const connectionFile = m[1].trim();
    const connection = JSON.parse(readFileSync(connectionFile, 'utf8')) as SandboxConnection;
    return { proc, connection, connectionFile };
  } catch (err) {
    proc.kill();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// local.settings.json

export interface LocalSettingsOutcome {
  path: string;
  /** written: there was none; refreshed: ours and unedited, so brought up to date; kept: the user's own. */
  action: 'written' | 'refreshed' | 'kept';
  values: Record<string, string>;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The settings a function app needs to run against the sandbox, as Core Tools expects them. */
export function sandboxLocalSettings(connection: SandboxConnection): Record<string, string> {
  return {
    FUNCTIONS_WORKER_RUNTIME: 'node',
    // Only the real host reads it (timer locks and the schedule monitor); the dev host does not.
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    ...connection.appSettings,
  };
}

/**
 * Writes local.settings.json from the sandbox connection when the app folder has none. A file npm start wrote
 * earlier and nobody edited since (its hash is recorded in the state dir) is refreshed, because the sandbox's ports
 * change between runs; any other file is the user's and is never overwritten.
 */
export function ensureLocalSettings(
  appDir: string,
  stateDir: string,
  connection: SandboxConnection,
): LocalSettingsOutcome {
  const path = join(appDir, 'local.settings.json');
  const record = join(stateDir, 'local.settings.sha256');
  const values = sandboxLocalSettings(connection);
  let action: LocalSettingsOutcome['action'] = 'written';
  if (existsSync(path)) {
    const current = readFileSync(path, 'utf8');
    const ours = existsSync(record) && readFileSync(record, 'utf8').trim() === sha256(current);
    if (!ours) {
      let theirs: Record<string, string> = {};
      try {
        theirs = (JSON.parse(current) as { Values?: Record<string, string> }).Values ?? {};
      } catch {
        // The host will report the parse error itself.
      }
      return { path, action: 'kept', values: theirs };
    }
    action = 'refreshed';
  }
  const text =
    JSON.stringify(
      {
        IsEncrypted: false,
        Values: values,
      },
      null,
      2,
    ) + '\n';
  writeFileSync(path, text, { mode: 0o600 });
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(record, sha256(text) + '\n');
  return { path, action, values };
}

/**
 * Settings the sandbox suggests but does not own: they are not one of its endpoints, ids or secrets, so the user's
 * shell decides them when it sets them (e.g. `PROBE_TIMEOUT_MS=5000 npm start`).
 */
export const SANDBOX_DEFAULTS: ReadonlySet<string> = new Set([
  'FUNCTIONS_WORKER_RUNTIME',
  'AzureWebJobsStorage',
  'PROBE_TIMEOUT_MS',
  'PROBE_SCHEDULE',
]);

/**
 * The host process environment. NODE_EXTRA_CA_CERTS is read only when Node starts and, as with Core Tools, an
 * environment variable wins over local.settings.json; some machines set it globally. So the CA the settings name is
 * put in the environment, bundled with the one already there. When the settings file is the one npm start wrote,
 * its values are passed as environment too, so a stray variable in the user's shell cannot point the run elsewhere;
 * except the sandbox's defaults (SANDBOX_DEFAULTS), where the shell wins. A settings file of the user's own
 * (`kept`) is read by the host itself, and the shell wins over it for every setting, as with Core Tools.
 */
export function hostEnv(
  base: NodeJS.ProcessEnv,
  settings: LocalSettingsOutcome,
  stateDir: string,
): { env: NodeJS.ProcessEnv; overridden: string[] } {
  const env: NodeJS.ProcessEnv = { ...base };
  const overridden: string[] = [];
  if (settings.action !== 'kept') {
    for (const [k, v] of Object.entries(settings.values)) {
      if (k === 'NODE_EXTRA_CA_CERTS') continue;
      if (SANDBOX_DEFAULTS.has(k) && env[k] !== undefined) continue;
      if (env[k] !== undefined && env[k] !== v) overridden.push(k);
      env[k] = v;
    }
  }
  const ca = settings.values.NODE_EXTRA_CA_CERTS;
  const existing = base.NODE_EXTRA_CA_CERTS;
  if (ca) {
    if (existing && resolve(existing) !== resolve(ca) && existsSync(existing)) {
      const bundle = join(stateDir, 'ca-bundle.pem');
      mkdirSync(stateDir, { recursive: true });
      writeFileSync(bundle, `${readFileSync(existing, 'utf8').trim()}\n${readFileSync(ca, 'utf8').trim()}\n`);
      env.NODE_EXTRA_CA_CERTS = bundle;
    } else {
      env.NODE_EXTRA_CA_CERTS = ca;
    }
  }
  return { env, overridden };
}

// ---------------------------------------------------------------------------------------------------------------
// The Functions host process

export function coreToolsAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  const r = spawnSync('func', ['--version'], { env, stdio: 'ignore', timeout: 15_000 });
  return r.status === 0;
}

export interface HostProcess {
  proc: Proc;
  kind: 'func' | 'devhost';
  baseUrl: string;
}

/** Starts `func start` when Core Tools is installed, else the dev host, and waits until it answers HTTP. */
export async function startHostProcess(opts: {
  appDir: string;
  port: number;
  enableAuth: boolean;
  env: NodeJS.ProcessEnv;
  preferFunc?: boolean;
  procOptions?: ProcOptions;
  timeoutMs?: number;
}): Promise<HostProcess> {
  const useFunc = opts.preferFunc !== false && coreToolsAvailable(opts.env);
  const args = useFunc
    ? ['start', '--port', String(opts.port), ...(opts.enableAuth ? ['--enableAuth'] : [])]
    : [
        join(REPO_ROOT, 'devhost', 'cli.ts'),
        '--app-dir',
        opts.appDir,
        '--port',
        String(opts.port),
        ...(opts.enableAuth ? ['--enable-auth'] : []),
      ];
  const proc = startProc(useFunc ? 'func' : process.execPath, args, {
    cwd: opts.appDir,
    env: opts.env,
    ...opts.procOptions,
  });
  let port = opts.port;
  try {
    if (!useFunc && port === 0) {
      port = Number((await proc.waitFor(/Listening on http:\/\/[^:]+:(\d+)/, opts.timeoutMs ?? 60_000))[1]);
    }
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitForHttp(baseUrl, proc, opts.timeoutMs ?? (useFunc ? 180_000 : 60_000));
    return { proc, kind: useFunc ? 'func' : 'devhost', baseUrl };
  } catch (err) {
    proc.kill();
    throw err;
  }
}

async function waitForHttp(baseUrl: string, proc: Proc, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  let exited: number | string | undefined;
  void proc.exited.then((c) => (exited = c));
  while (Date.now() < end) {
    if (exited !== undefined) throw new Error(`the host exited (${exited}) before it served HTTP`);
    try {
      const res = await fetch(`${baseUrl}/`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`the host did not answer on ${baseUrl} within ${Math.round(timeoutMs / 1000)} s`);
}

/** The HTTP route prefix from host.json, read as the dev host reads it; "api" when host.json is unusable. */
export function routePrefix(appDir: string): string {
  try {
    return readHostJson(appDir).routePrefix;
  } catch {
    return 'api';
  }
}

export function apiUrl(baseUrl: string, prefix: string, route: string): string {
  return `${baseUrl}/${[prefix, route].filter(Boolean).join('/')}`;
}

/** A key for calling function-level routes when auth is on: the dev host's keys file (never printed). */
export function readHostKey(appDir: string): string | undefined {
  const file = defaultKeysFile(appDir);
  if (!existsSync(file)) return undefined;
  return (JSON.parse(readFileSync(file, 'utf8')) as { masterKey?: string }).masterKey;
}

// ---------------------------------------------------------------------------------------------------------------
// The sweep and the matrix

export interface Cell {
  path: string;
  target: string;
  outcome: string;
  totalMs?: number;
  remediationSummary?: string;
  remediationCommand?: string;
  detail?: string;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Reads one probe result object (src/probes shape) into a matrix cell. */
export function toCell(r: Record<string, unknown>, fallbackPath: string): Cell {
  const outcome = r.outcome as unknown;
  const timings = (r.timings ?? {}) as Record<string, unknown>;
  const remediation = r.remediation as unknown;
  const detail = r.detail as unknown;
  return {
    path: String(r.path ?? fallbackPath),
    target: String(r.target ?? '?'),
    outcome:
      typeof outcome === 'string'
        ? outcome
        : String((outcome as { kind?: string } | undefined)?.kind ?? 'error'),
    totalMs: num(timings.totalMs) ?? num(timings.total) ?? num(r.durationMs),
    remediationSummary:
      typeof remediation === 'string'
        ? remediation
        : ((remediation as { summary?: string } | undefined)?.summary ?? undefined),
    remediationCommand: (remediation as { command?: string } | undefined)?.command ?? undefined,
    detail: typeof detail === 'string' ? detail : detail ? JSON.stringify(detail) : undefined,
  };
}

/** Calls GET /{prefix}/probes/{path} for every path, one after the other (clean latency figures). */
export async function sweep(baseUrl: string, prefix: string, key?: string): Promise<Cell[]> {
  const cells: Cell[] = [];
  for (const path of PATH_IDS) {
    try {
      const { status, body, text } = await getJson(apiUrl(baseUrl, prefix, `probes/${path}`), {
        headers: key ? { 'x-functions-key': key } : {},
        signal: AbortSignal.timeout(60_000),
      });
      const list = (
        Array.isArray(body)
          ? body
          : Array.isArray((body as { results?: unknown } | undefined)?.results)
            ? (body as { results: unknown[] }).results
            : [body]
      ).filter((r): r is Record<string, unknown> => {
        const o = r as Record<string, unknown> | null;
        return o !== null && typeof o === 'object' && typeof o.target === 'string' && o.outcome !== undefined;
      });
      if (list.length === 0) throw new Error(`HTTP ${status}${text ? `: ${text.slice(0, 120)}` : ''}`);
      for (const r of list) cells.push(toCell(r, path));
    } catch (err) {
      for (const target of TARGET_IDS) {
        cells.push({ path, target, outcome: 'no-answer', detail: (err as Error).message });
      }
    }
  }
  return cells;
}

export function renderMatrix(cells: Cell[], opts: { color?: boolean } = {}): string {
  const paint = (ok: boolean, s: string) => (opts.color ? `\x1b[${ok ? 32 : 31}m${s}\x1b[0m` : s);
  const text = (c: Cell | undefined) =>
    c ? `${c.outcome}${c.totalMs !== undefined ? ` ${Math.round(c.totalMs)}ms` : ''}` : '-';
  const find = (p: string, t: string) => cells.find((c) => c.path === p && c.target === t);
  const pathWidth = Math.max(...PATH_IDS.map((p) => p.length)) + 2;
  const widths = TARGET_IDS.map(
    (t) => Math.max(t.length, ...PATH_IDS.map((p) => text(find(p, t)).length)) + 3,
  );
  const lines = [
    '  ' +
      ''.padEnd(pathWidth) +
      TARGET_IDS.map((t, i) => t.padEnd(widths[i]))
        .join('')
        .trimEnd(),
  ];
  for (const p of PATH_IDS) {
    const row = TARGET_IDS.map((t, i) => {
      const c = find(p, t);
      const s = text(c).padEnd(widths[i]);
      return paint(c?.outcome === 'ok', s);
    });
    lines.push('  ' + p.padEnd(pathWidth) + row.join('').trimEnd());
  }
  const ok = cells.filter((c) => c.outcome === 'ok').length;
  const total = PATH_IDS.length * TARGET_IDS.length;
  lines.push('');
  lines.push(`  ${ok}/${total} ok`);
  const bad = cells.filter((c) => c.outcome !== 'ok');
  for (const c of bad) {
    lines.push('');
    lines.push(`  ${c.path} -> ${c.target}: ${c.outcome}`);
    if (c.remediationSummary) lines.push(`      ${c.remediationSummary}`);
    if (c.remediationCommand) lines.push(`      $ ${c.remediationCommand}`);
    if (!c.remediationSummary && !c.remediationCommand && c.detail) lines.push(`      ${c.detail}`);
  }
  return lines.join('\n');
}
