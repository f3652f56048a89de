// The pieces `npm start` is made of, shared with the end-to-end tests so that they run the product exactly as a
// user does: the sandbox and the Functions host as separate processes, local.settings.json written from the
// sandbox connection file, one sweep of every identity path, and the matrix that shows it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultKeysFile } from '../../devhost/keys.ts';
import { readHostJson } from '../../devhost/settings.ts';
import { loadDeclaration, referencesIn } from '../../common/declaration/parse.ts';
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
  /** A probe declaration (absolute path) the sandbox builds its world from (`--declaration`). */
  declaration?: string;
  procOptions?: ProcOptions;
  timeoutMs?: number;
}): Promise<SandboxProcess> {
  const proc = startProc(
    process.execPath,
    [
      join(REPO_ROOT, 'sandbox', 'cli.ts'),
      '--scenario',
      opts.scenario,
      '--state-dir',
      opts.stateDir,
      ...(opts.declaration ? ['--declaration', opts.declaration] : []),
    ],
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
// A declaration tried locally (`npm start -- --declaration FILE`)

/** A declaration file as given on the command line: relative to where the user ran npm (INIT_CWD), else absolute. */
export function declarationPath(file: string, env: NodeJS.ProcessEnv = process.env): string {
  return isAbsolute(file) ? file : resolve(env.INIT_CWD ?? process.cwd(), file);
}

/**
 * What the app needs to run a declaration against the sandbox: PROBES_DECLARATION (the file's absolute path, so the
 * app reads it instead of the default in its package), and the sandbox's value of every %SETTING% the file refers to
 * (sandbox/declaration settings.ts put them in the connection's appSettings). Passed as the host's environment, so
 * they hold even with a local.settings.json of the user's own.
 */
export function declarationEnv(file: string, connection: SandboxConnection): Record<string, string> {
  const env: Record<string, string> = { PROBES_DECLARATION: file };
  for (const name of new Set(referencesIn(readFileSync(file, 'utf8')))) {
    const v = connection.appSettings[name];
    if (v !== undefined) env[name] = v;
  }
  return env;
}

// ---------------------------------------------------------------------------------------------------------------
// The sweep and the matrix

/** What the matrix shows: rows (identities), columns (resources) and the cells probed, with what each must do. */
export interface MatrixLayout {
  /** The declaration's name and version, when the layout is one's. */
  title?: string;
  rows: readonly string[];
  columns: readonly string[];
  /** `row column` -> expectation, for every probed cell. */
  cells: ReadonlyMap<string, 'allowed' | 'denied'>;
}

const cellKey = (row: string, column: string) => `${row} ${column}`;

/** The canary demo: every path against every target, all allowed (what the default declaration declares). */
export const CANARY_LAYOUT: MatrixLayout = {
  rows: PATH_IDS,
  columns: TARGET_IDS,
  cells: new Map(PATH_IDS.flatMap((p) => TARGET_IDS.map((t) => [cellKey(p, t), 'allowed' as const]))),
};

/**
 * A declaration's matrix: its identities x its resources, in declaration order, and its probes, loaded with the same
 * loader as the app's against the settings the app gets (the sandbox's). Throws when a probe does not load: the
 * sandbox has already refused such a declaration.
 */
export function declarationLayout(file: string, settings: Record<string, string>): MatrixLayout {
  const loaded = loadDeclaration(JSON.parse(readFileSync(file, 'utf8')) as unknown, { settings });
  const p = loaded.problems[0];
  if (p) throw new Error(`declaration ${file}: ${p.entry}${p.field ? `.${p.field}` : ''}: ${p.message}`);
  const rows = [...new Set(loaded.probes.map((q) => q.identityName))];
  const columns = [...new Set(loaded.probes.map((q) => q.resourceName))];
  return {
    title: `${loaded.name} version ${loaded.version}`,
    rows,
    columns,
    cells: new Map(loaded.probes.map((q) => [cellKey(q.identityName, q.resourceName), q.expect])),
  };
}

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

/**
 * Calls GET /{prefix}/probes/{identity} for every row of the layout (every path of the canary demo, or every
 * declared identity), one after the other (clean latency figures).
 */
export async function sweep(
  baseUrl: string,
  prefix: string,
  key?: string,
  layout: MatrixLayout = CANARY_LAYOUT,
): Promise<Cell[]> {
  const cells: Cell[] = [];
  for (const path of layout.rows) {
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
      for (const target of layout.columns) {
        if (layout.cells.has(cellKey(path, target)))
          cells.push({ path, target, outcome: 'no-answer', detail: (err as Error).message });
      }
    }
  }
  return cells;
}

/**
 * The matrix: a row per identity, a column per resource, each probed cell's outcome and latency (`-` where nothing
 * is probed; a `denied` cell says so: its `ok` means the service refused the identity), the count of ok cells, and
 * the remediation of every failure.
 */
export function renderMatrix(cells: Cell[], opts: { color?: boolean; layout?: MatrixLayout } = {}): string {
  const layout = opts.layout ?? CANARY_LAYOUT;
  const paint = (ok: boolean, s: string) => (opts.color ? `\x1b[${ok ? 32 : 31}m${s}\x1b[0m` : s);
  const find = (p: string, t: string) => cells.find((c) => c.path === p && c.target === t);
  const text = (p: string, t: string) => {
    const expect = layout.cells.get(cellKey(p, t));
    const c = find(p, t);
    if (!expect && !c) return '-';
    if (!c) return 'no-answer';
    const ms = c.totalMs !== undefined ? ` ${Math.round(c.totalMs)}ms` : '';
    return `${c.outcome}${expect === 'denied' ? ' (denied)' : ''}${ms}`;
  };
  const pathWidth = Math.max(...layout.rows.map((p) => p.length)) + 2;
  const widths = layout.columns.map(
    (t) => Math.max(t.length, ...layout.rows.map((p) => text(p, t).length)) + 3,
  );
  const lines = [
    '  ' +
      ''.padEnd(pathWidth) +
      layout.columns
        .map((t, i) => t.padEnd(widths[i]))
        .join('')
        .trimEnd(),
  ];
  for (const p of layout.rows) {
    const row = layout.columns.map((t, i) => {
      const s = text(p, t);
      return s === '-' ? s.padEnd(widths[i]) : paint(find(p, t)?.outcome === 'ok', s.padEnd(widths[i]));
    });
    lines.push('  ' + p.padEnd(pathWidth) + row.join('').trimEnd());
  }
  const probed = cells.filter((c) => layout.cells.has(cellKey(c.path, c.target)));
  const ok = probed.filter((c) => c.outcome === 'ok').length;
  lines.push('');
  lines.push(`  ${ok}/${layout.cells.size} ok`);
  const bad = [
    ...probed.filter((c) => c.outcome !== 'ok'),
    ...[...layout.cells.keys()]
      .filter((k) => !probed.some((c) => cellKey(c.path, c.target) === k))
      .map((k): Cell => {
        const [path, target] = k.split(' ');
        return { path, target, outcome: 'no-answer', detail: 'the app returned no result for this probe' };
      }),
  ];
  // One entry per identity and failure: a row that failed as a whole (its route did not answer) says so once.
  const groups = new Map<string, Cell[]>();
  for (const c of bad) {
    const k = JSON.stringify([c.path, c.outcome, c.remediationSummary, c.remediationCommand, c.detail]);
    groups.set(k, [...(groups.get(k) ?? []), c]);
  }
  for (const [c, ...more] of groups.values()) {
    lines.push('');
    lines.push(`  ${c.path} -> ${[c, ...more].map((x) => x.target).join(', ')}: ${c.outcome}`);
    if (c.remediationSummary) lines.push(`      ${c.remediationSummary}`);
    if (c.remediationCommand) lines.push(`      $ ${c.remediationCommand}`);
    if (!c.remediationSummary && !c.remediationCommand && c.detail) lines.push(`      ${c.detail}`);
  }
  return lines.join('\n');
}
