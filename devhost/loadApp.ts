// Loads the app the way the Node worker does (worker src/startApp.ts, src/loadScriptFile.ts): package.json `main`
// (a glob is allowed), `import()` for .mjs or "type": "module", `require` otherwise; then the appStart hooks; then
// getCapabilities, which locks app.setup(). Then turns the registrations into function specs and refuses anything
// this host does not implement (docs/host-notes.md B.5 steps 3-4).
import { existsSync, readFileSync, promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CoreState } from './coreShim.ts';
import { hookContext, runHooks } from './invoke.ts';
import type { AuthLevel } from './keys.ts';
import { compileRoute } from './routes.ts';
import type { CompiledRoute } from './routes.ts';
import { isDisabled, resolveSettingTokens, StartupError } from './settings.ts';
import type { RegisteredFunction } from './types.ts';

export interface HttpSpec {
  route: CompiledRoute;
  methods: string[];
  authLevel: AuthLevel;
}

export interface TimerSpec {
  /** The schedule as resolved from app settings (`%NAME%` tokens replaced). */
  schedule: string;
  runOnStartup: boolean;
  useMonitor: boolean;
}

export interface FunctionSpec {
  name: string;
  fn: RegisteredFunction;
  triggerBindingName: string;
  disabled: boolean;
  http?: HttpSpec;
  timer?: TimerSpec;
}

async function entryPointFiles(appDir: string, main: string): Promise<string[]> {
  if (!/[*?[{]/.test(main)) return [resolve(appDir, main)];
  const files: string[] = [];
  for await (const f of fsp.glob(main, { cwd: appDir })) files.push(resolve(appDir, f));
  return files.sort();
}

/** Imports the app's entry point(s); registrations happen as a side effect through the core shim. */
export async function loadEntryPoint(appDir: string): Promise<string[]> {
  const pkgPath = join(appDir, 'package.json');
  if (!existsSync(pkgPath)) throw new StartupError(`package.json not found in ${appDir}`);
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { main?: string; type?: string };
  if (!pkg.main) {
    throw new StartupError(
      `package.json in ${appDir} has no "main": the v4 programming model loads the app from it`,
    );
  }
  const files = await entryPointFiles(appDir, pkg.main);
  const missing = files.filter((f) => !existsSync(f));
  if (files.length === 0 || missing.length > 0) {
    throw new StartupError(
      `package.json "main" (${pkg.main}) matches no file${missing.length ? `: ${missing.join(', ')}` : ''}. Did you run "npm run build"?`,
    );
  }
  const req = createRequire(pkgPath);
  for (const file of files) {
    const ext = extname(file);
    try {
      if (ext === '.mjs' || (ext !== '.cjs' && pkg.type === 'module')) await import(pathToFileURL(file).href);
      else req(file);
    } catch (err) {
      throw new StartupError(
        `Worker was unable to load entry point "${file}": ${(err as Error).stack ?? err}`,
      );
    }
  }
  return files;
}

/** appStart hooks, then capabilities (which lock setup()). Streaming mode is refused. */
export async function startApp(state: CoreState, appDir: string): Promise<void> {
  await runHooks(state, 'appStart', hookContext({ functionAppDirectory: appDir }, {}));
  const pm = state.programmingModel;
  if (!pm) {
    throw new StartupError('The app registered no functions (no app.http/app.timer call reached the host)');
  }
  const caps = pm.getCapabilities ? await pm.getCapabilities({}) : {};
  state.locked = true;
  if (caps.HttpUri) {
    throw new StartupError(
      'The app enables HTTP streaming (app.setup({ enableHttpStream: true })), which the dev host does not implement',
    );
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Turns registrations into specs; throws one StartupError listing every unsupported binding. */
export function toFunctionSpecs(state: CoreState, env: NodeJS.ProcessEnv = process.env): FunctionSpec[] {
  const problems: string[] = [];
  const specs: FunctionSpec[] = [];
  for (const fn of state.functions.values()) {
    const name = fn.metadata.name;
    const entries = Object.entries(fn.metadata.bindings);
    const triggers = entries.filter(([, b]) => b.direction === 'in' && /trigger$/i.test(b.type ?? ''));
    if (triggers.length !== 1) {
      problems.push(`function "${name}" has ${triggers.length} trigger bindings`);
      continue;
    }
    const [triggerName, trigger] = triggers[0];
    const type = (trigger.type ?? '').toLowerCase();
    if (type !== 'httptrigger' && type !== 'timertrigger') {
      problems.push(`function "${name}": trigger "${trigger.type}" is not implemented by the dev host`);
      continue;
    }
    for (const [bindingName, b] of entries) {
      if (bindingName === triggerName) continue;
      const httpReturn =
        type === 'httptrigger' && bindingName === '$return' && b.type?.toLowerCase() === 'http';
      if (!httpReturn) {
        problems.push(
          `function "${name}": binding "${bindingName}" of type "${b.type}" (${b.direction}) is not implemented by the dev host`,
        );
      }
    }
    if (fn.metadata.retryOptions) {
      problems.push(`function "${name}": retry policies are not implemented by the dev host`);
    }
    const spec: FunctionSpec = { name, fn, triggerBindingName: triggerName, disabled: isDisabled(name, env) };
    try {
      if (type === 'httptrigger') {
        const methods = (Array.isArray(trigger.methods) ? trigger.methods : ['GET', 'POST']).map((m) =>
          String(m).toUpperCase(),
        );
        const authLevel = (str(trigger.authLevel) ?? 'anonymous').toLowerCase();
        if (!['anonymous', 'function', 'admin'].includes(authLevel)) {
          problems.push(`function "${name}": unknown authLevel "${trigger.authLevel}"`);
          continue;
        }
        // `route` defaults to the function name (types/http.d.ts).
        spec.http = {
          route: compileRoute(str(trigger.route) ?? name),
          methods,
          authLevel: authLevel as AuthLevel,
        };
      } else {
        const raw = str(trigger.schedule);
        if (!raw) {
          problems.push(`function "${name}": timer trigger has no schedule`);
          continue;
        }
        spec.timer = {
          schedule: spec.disabled ? raw : resolveSettingTokens(raw, env).trim(),
          runOnStartup: trigger.runOnStartup === true,
          useMonitor: trigger.useMonitor !== false,
        };
      }
    } catch (err) {
      if (!(err instanceof StartupError)) throw err;
      problems.push(`function "${name}": ${err.message}`);
      continue;
    }
    specs.push(spec);
  }
  if (problems.length > 0) {
    throw new StartupError(`The dev host cannot run this app:\n  - ${problems.join('\n  - ')}`);
  }
  return specs;
}
