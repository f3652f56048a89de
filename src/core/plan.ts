// The probe plan: a declaration (common/declaration/, docs/declaration.md) made runnable. Every declared identity is
// an identity path module (src/identities/) with the settings of that identity, every declared resource a target
// module (src/targets/) with the settings of that resource, and every probe one cell: an identity against a
// resource, with what must happen. Built by src/declaration/ (compile.ts); read by the runner, the timers, the routes,
// the status, telemetry and the privileges check, which all follow the declaration instead of a fixed list.
//
// Names: the declared identity's name is what results, routes, status documents and telemetry call `path`, and the
// resource's name is their `target`, so the default declaration (declarations/default.json, one identity per catalog
// path and one resource per catalog target) keeps every route, blob name and test name the canary demo had.
// Types only.
import type { Config } from '../config.ts';
import type { IdentityPath, Target } from './plugins.ts';

export type Expectation = 'allowed' | 'denied';

/** A problem of the declaration: the entry and field to blame, and the probe it stopped (common/declaration/parse.ts). */
export interface DeclarationProblem {
  entry: string;
  probe?: string;
  field?: string;
  message: string;
}

/** Which declaration runs, for the status page, /api/status and the start-up log. */
export interface DeclarationInfo {
  name: string;
  version: string;
  /** Where it was read from: `package:declarations/default.json`, a file path, or the blob's URL. */
  source: string;
  /** False when an entry was left out (its problems say which): /api/health then says "not fully configured". */
  complete: boolean;
  problems: readonly DeclarationProblem[];
  /** When it was read (ISO). A blob declaration is read again on each timer run. */
  readAt: string;
  /** The blob's ETag, when read from a blob. */
  etag?: string;
}

export interface PlannedIdentity {
  /** The declared name: results' `path`, routes' first segment, status documents' key. */
  name: string;
  /** The declaration's kind (system-assigned, user-assigned, default-chain, federated). */
  kind: string;
  /** The identity path module that runs it (e.g. user-assigned selected by client ID: uami-client-id). */
  path: IdentityPath;
  /** The app's settings with this identity's fields in place of the path's own settings. */
  config: Config;
}

export interface PlannedResource {
  /** The declared name: results' `target`. */
  name: string;
  /** The declaration's kind (keyvault-secret, blob-container, arm-scope, storage-queue). */
  kind: string;
  target: Target;
  /** The app's settings with this resource's fields in place of the target's own settings. */
  config: Config;
}

export interface PlannedProbe {
  /** The probe's id: `<identity>/<resource>` unless the declaration names it. */
  id: string;
  identity: string;
  resource: string;
  expect: Expectation;
  /** The settings the probe runs with: the identity's and the resource's fields over the app's settings. */
  config: Config;
  /**
   * The modules' own setting names this probe's fields stand in for, and what the declaration calls them (the
   * `%SETTING%` a field refers to, else `identities.<name>.<field>`): a `misconfigured` result and a remediation name
   * what the user wrote. Only names that differ; empty for the default declaration.
   */
  settingNames: Readonly<Record<string, string>>;
}

export interface Plan {
  declaration: DeclarationInfo;
  /** Declared identities that at least one valid probe uses, in declaration order. */
  identities: ReadonlyMap<string, PlannedIdentity>;
  /** Declared resources that at least one valid probe uses, in declaration order. */
  resources: ReadonlyMap<string, PlannedResource>;
  /** The valid probes, in declaration order. */
  probes: readonly PlannedProbe[];
}

/** The probe of one identity against one resource, if declared. */
export function probeOf(plan: Plan, identity: string, resource: string): PlannedProbe | undefined {
  return plan.probes.find((p) => p.identity === identity && p.resource === resource);
}

/** The probes of one identity, in declaration order. */
export function probesOf(plan: Plan, identity: string): PlannedProbe[] {
  return plan.probes.filter((p) => p.identity === identity);
}
