// The facts remediation works from, gathered from settings, the attested token and the error. Generic: the
// target and the path add what only they know (Target.facts, IdentityPath.facts).
import type { Config, SettingIssue } from '../config.ts';
import type { ExpectedIdentity } from '../core/plugins.ts';
import type { IdentityPath, RemediationFacts, Target } from '../core/plugins.ts';
import type { Attestation } from '../core/results.ts';

/** The cell a probe ran: the declared names and the modules that ran them. */
export interface Cell {
  path: string;
  target: string;
  pathModule: IdentityPath;
  targetModule: Target;
}

export function remediationFacts(
  { path, target, pathModule: p, targetModule: t }: Cell,
  config: Config,
  expected: ExpectedIdentity,
  identity: Attestation | undefined,
  scope?: string,
  problems?: SettingIssue[],
): RemediationFacts {
  return {
    path,
    target,
    modules: { path: p, target: t },
    expected,
    principalId: identity?.oid ?? expected.oid?.value,
    attested: identity && {
      oid: identity.oid,
      appid: identity.appid,
      aud: identity.aud,
      expiresOn: identity.expiresOn,
    },
    mismatches: identity?.mismatches,
    role: t.role,
    scope: scope ?? t.scope(config),
    audience: t.audience(config),
    service: t.service,
    endpointSetting: t.endpointSetting,
    tokenIssuer: p.tokenIssuer(config),
    app: { name: config.app.siteName, resourceGroup: config.app.resourceGroup ?? config.arm.resourceGroup },
    deployment: { subscriptionId: config.arm.subscriptionId, resourceGroup: config.arm.resourceGroup },
    timeoutMs: config.probeTimeoutMs,
    managedIdentitySource: config.managedIdentitySource,
    identityEnvironment: config.identityEnvironment,
    settingProblems: problems,
    targetFacts: t.facts(config),
    pathFacts: p.facts?.(config),
  };
}
