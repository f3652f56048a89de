// A loaded declaration (common/declaration/parse.ts) compiled into the plan the app runs (core/plan.ts): each declared
// identity becomes the path module of its kind with its fields as that module's settings, each declared resource the
// target module of its kind with its fields as that module's settings (config.ts deriveConfig), and each probe one
// cell with both. The modules stay as they are: they read settings, and the plan gives each its own.
import type { LoadedDeclaration } from '../../common/declaration/parse.ts';
import { deriveConfig, type Config } from '../config.ts';
import type { IdentityKindPlugin, ResourceKindPlugin } from '../core/plugins.ts';
import type {
  DeclarationInfo,
  DeclarationProblem,
  Plan,
  PlannedIdentity,
  PlannedProbe,
  PlannedResource,
} from '../core/plan.ts';
import { IDENTITY_KINDS } from '../identities/index.ts';
import { RESOURCE_KINDS } from '../targets/index.ts';

const byKind = <T extends { kind: string }>(list: readonly T[]) => new Map(list.map((p) => [p.kind, p]));

export interface Kinds {
  identities: ReadonlyMap<string, IdentityKindPlugin>;
  resources: ReadonlyMap<string, ResourceKindPlugin>;
}

/** The kinds this build of the app can probe. */
export const KINDS: Kinds = { identities: byKind(IDENTITY_KINDS), resources: byKind(RESOURCE_KINDS) };

type Fields = Readonly<Record<string, string>>;

/**
 * What the declaration calls each setting an entry's fields become: the kind's own mapping applied to the fields as
 * written, so `%API_CLIENT_ID%` in `clientId` says UAMI_CLIENT_ID is API_CLIENT_ID here.
 */
function declaredNames(
  kind: { settings(f: Fields, base: Config): Record<string, string | undefined> },
  written: Fields | undefined,
  base: Config,
  entry: string,
): Record<string, string> {
  if (!written) return {};
  const out: Record<string, string> = {};
  for (const [setting, value] of Object.entries(kind.settings(written, base))) {
    if (value === undefined) continue;
    const only = /^%([A-Za-z_][A-Za-z0-9_.:-]*)%$/.exec(value);
    const field = Object.keys(written).find((f) => written[f] === value || written[f].includes(value));
    const name = only ? only[1] : field ? `${entry}.${field}` : entry;
    if (name !== setting) out[setting] = name;
  }
  return out;
}

export function compilePlan(
  loaded: LoadedDeclaration,
  base: Config,
  source: Pick<DeclarationInfo, 'source' | 'readAt' | 'etag'>,
  kinds: Kinds = KINDS,
): Plan {
  const problems: DeclarationProblem[] = [...loaded.problems];
  const identities = new Map<string, PlannedIdentity>();
  const resources = new Map<string, PlannedResource>();
  const probes: PlannedProbe[] = [];
  for (const p of loaded.probes) {
    const idKind = kinds.identities.get(p.identity.kind);
    const resKind = kinds.resources.get(p.resource.kind);
    // The schema and the plug-ins list the same kinds (test/app/unit/plan.test.ts); a kind the schema has and this
    // build cannot run is a problem of that probe, not a crash.
    if (!idKind || !resKind) {
      problems.push({
        entry: !idKind ? `identities.${p.identityName}` : `resources.${p.resourceName}`,
        probe: p.id,
        field: 'kind',
        message: `kind '${!idKind ? p.identity.kind : p.resource.kind}' cannot be probed by this version of identity-probes`,
      });
      continue;
    }
    const idFields = p.identity as unknown as Fields;
    const resFields = p.resource as unknown as Fields;
    let identity = identities.get(p.identityName);
    if (!identity) {
      identity = {
        name: p.identityName,
        kind: p.identity.kind,
        path: idKind.path(idFields),
        config: deriveConfig(base, idKind.settings(idFields, base)),
      };
      identities.set(p.identityName, identity);
    }
    let resource = resources.get(p.resourceName);
    const resourceSettings = resKind.settings(resFields, base);
    if (!resource) {
      resource = {
        name: p.resourceName,
        kind: p.resource.kind,
        target: resKind.target,
        config: deriveConfig(base, resourceSettings),
      };
      resources.set(p.resourceName, resource);
    }
    probes.push({
      id: p.id,
      identity: p.identityName,
      resource: p.resourceName,
      expect: p.expect,
      config: deriveConfig(identity.config, resourceSettings),
      settingNames: {
        ...declaredNames(
          idKind,
          loaded.written?.identities[p.identityName],
          base,
          `identities.${p.identityName}`,
        ),
        ...declaredNames(
          resKind,
          loaded.written?.resources[p.resourceName],
          base,
          `resources.${p.resourceName}`,
        ),
      },
    });
  }
  return {
    declaration: {
      name: loaded.name,
      version: loaded.version,
      ...source,
      complete: problems.length === 0,
      problems,
    },
    identities,
    resources,
    probes,
  };
}
