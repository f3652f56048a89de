// The declaration part: read the declaration (source.ts), load it entry by entry (common/declaration/parse.ts:
// `%SETTING%` references resolved from the app settings, every value checked by its setting format), and compile it
// into the plan the app runs (compile.ts). Never throws: whatever is wrong is a problem of the plan's declaration, and
// the valid probes still run.
import { loadDeclaration } from '../../common/declaration/parse.ts';
import { configSettings, type Config } from '../config.ts';
import type { Plan } from '../core/plan.ts';
import { FORMATS } from '../settingFormats.ts';
import { compilePlan } from './compile.ts';
import { BUILT_IN_SOURCE, readDeclaration, type DeclarationRead } from './source.ts';
import { defaultDeclaration } from '../../common/declaration/default.ts';

export interface PlanOptions {
  /** The app settings `%SETTING%` references resolve from (default: the process's environment, over which the
   * settings the config was read from). */
  env?: Readonly<Record<string, string | undefined>>;
  /** A declaration given directly (tests, `new App({ declaration })`) instead of read from its source. */
  declaration?: unknown;
  /**
   * The plan in use: when the blob answers 304 for its ETag and nothing went wrong, it is returned as it is, so a
   * timer run of an unchanged declaration compiles nothing.
   */
  current?: Plan;
}

/** Reads, loads and compiles the declaration. */
export async function loadPlan(config: Config, options: PlanOptions = {}): Promise<Plan> {
  const env = options.env ?? { ...process.env, ...configSettings(config) };
  const read: DeclarationRead =
    options.declaration !== undefined
      ? { raw: options.declaration, source: 'given', readAt: new Date().toISOString() }
      : await readDeclaration(config);
  const current = options.current;
  if (
    read.unchanged &&
    !read.problem &&
    current !== undefined &&
    current.declaration.etag === read.etag &&
    current.declaration.source === read.source
  )
    return current;
  return planOf(read, config, env);
}

/** The default declaration's plan for a config, at once (tests, benchmarks). */
export function defaultPlan(config: Config): Plan {
  return planOf(
    { raw: defaultDeclaration(), source: BUILT_IN_SOURCE, readAt: new Date().toISOString() },
    config,
    configSettings(config),
  );
}

/** The plan of a declaration already read. */
export function planOf(
  read: DeclarationRead,
  config: Config,
  env: Readonly<Record<string, string | undefined>>,
): Plan {
  const { source, readAt, etag } = read;
  const parsed =
    read.raw === undefined
      ? {
          name: '(unread)',
          version: '(none)',
          probes: [],
          problems: [read.problem ?? { entry: 'declaration', message: 'not read' }],
          complete: false,
        }
      : loadDeclaration(read.raw, {
          settings: env,
          check: (format, value) => FORMATS[format](value),
          keepValueProblems: true,
        });
  // A read that failed but kept the last good declaration (or fell back to the package's file) still runs it; its
  // problem says what went wrong, and the declaration is not complete (/api/health: not fully configured).
  const loaded =
    read.raw !== undefined && read.problem
      ? { ...parsed, problems: [read.problem, ...parsed.problems], complete: false }
      : parsed;
  return compilePlan(loaded, config, { source, readAt, ...(etag ? { etag } : {}) });
}
