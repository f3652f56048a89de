// One sentence per failure, and where it applies the exact `az` command with the real principal id, role and
// scope filled in (docs/pain-points.md P2, P6, P7, P9: say what is wrong and the fix, not just the symptom).
// Pure: the runner gathers the facts from settings, the attested token and the error. Generic: the path's and
// the target's own remediation hooks (IdentityPath.remediate, Target.remediate) are asked first; what is said
// here holds for any path and target.
import type { OutcomeKind } from '../ids.ts';
import {
  appArgs,
  appSettingsCommand,
  codes,
  REDEPLOY_FIRST,
  roleAssignmentCreateCommand,
  settingNames,
} from '../core/azCommands.ts';
import type { Classification, RemediationFacts } from '../core/plugins.ts';
import type { Remediation } from '../core/results.ts';

export type { RemediationFacts } from '../core/plugins.ts';

/**
 * The user-assigned identity's resource id (UAMI_RESOURCE_ID, or the selector itself); else a placeholder, so that
 * remediation says it is missing rather than print a lookup that may come back empty.
 */
function identityIdExpression(f: RemediationFacts): string {
  if (f.expected.resourceId) return f.expected.resourceId;
  const s = f.expected.selector;
  if (s.kind === 'resourceId' && s.value) return s.value;
  return '<identity-resource-id>';
}

function describeSelector(f: RemediationFacts): string {
  const s = f.expected.selector;
  if (s.kind === 'system') return 'the system-assigned identity';
  return `the identity selected by ${s.setting ?? s.kind} ${s.value ?? ''}`.trim();
}

export function wrongIdentityRemediation(f: RemediationFacts): Remediation {
  const got = [f.attested?.oid && `oid ${f.attested.oid}`, f.attested?.appid && `appid ${f.attested.appid}`]
    .filter(Boolean)
    .join(', ');
  const summary = `The ${f.path} token is for ${got || 'an unidentified principal'}, not ${f.expected.description} (${(f.mismatches ?? []).join('; ')}): fix the setting if it names the wrong identity, otherwise the credential selected another identity.`;
  const s = f.expected.selector;
  let command: string;
  if (s.kind === 'system') command = `az functionapp identity show ${appArgs(f)} --query principalId -o tsv`;
  else if (s.kind === 'clientAssertion' || !f.expected.oid)
    // Only the client ID is known: list the identities that have it.
    command = `az identity list --query "[?clientId=='${f.expected.appid?.value ?? '<client-id>'}'].{name:name, clientId:clientId, principalId:principalId}" -o table`;
  else
    command = `az identity show --ids ${identityIdExpression(f)} --query "{clientId:clientId, principalId:principalId}"`;
  return exactOrMissing({ summary, command });
}

type KindRemediation = (c: Classification, f: RemediationFacts) => Remediation;

function misconfigured(c: Classification, f: RemediationFacts): Remediation {
  const d = c.detail;
  const problems = f.settingProblems?.length
    ? f.settingProblems
    : [{ setting: d.setting ?? 'a setting', problem: 'is rejected by the SDK' }];
  const names = settingNames(f, d.setting);
  const summary =
    c.reason === 'tenant'
      ? `AZURE_TENANT_ID does not name the tenant that owns the identity or the resource (${d.aadsts ? `AADSTS${d.aadsts}` : (d.message ?? '')}): set it to the tenant ID shown by \`az account show\`.`
      : `Fix ${problems.map((p) => `${p.setting} (${p.problem})`).join(', ')}; only the paths and targets that use ${names.length > 1 ? 'these settings' : 'it'} are affected.`;
  return { summary, command: appSettingsCommand(f, names) };
}

function noIdentityEndpoint(_c: Classification, f: RemediationFacts): Remediation {
  const present = Object.entries(f.identityEnvironment)
    .filter(([, v]) => v)
    .map(([k]) => k);
  const assign = f.expected.selector.kind !== 'system' ? ` --identities ${identityIdExpression(f)}` : '';
  return {
    summary: `No managed identity endpoint answered: IDENTITY_ENDPOINT/IDENTITY_HEADER are not both set (present: ${present.join(', ') || 'none'}), so the SDK used ${f.managedIdentitySource}, which is not available here; enable the identity on the app so the platform injects them.`,
    command: `az functionapp identity assign ${appArgs(f)}${assign}`,
  };
}

function identityNotFound(c: Classification, f: RemediationFacts): Remediation {
  const d = c.detail;
  if (c.reason === 'application-not-found') {
    const id = f.expected.appid?.value ?? '<client-id>';
    return {
      summary: `Entra ID has no application with client ID ${id} in tenant ${f.expected.tid?.value ?? '<tenant>'} (AADSTS${d.aadsts}): fix ${f.expected.selector.setting ?? 'the client ID setting'} or create the identity.`,
      command: `az identity list --query "[?clientId=='${id}'].{name:name, resourceGroup:resourceGroup, tenantId:tenantId}" -o table`,
    };
  }
  const ids = f.expected.selector.kind === 'system' ? '[system]' : identityIdExpression(f);
  return {
    summary: `The managed identity endpoint does not have ${describeSelector(f)} for this app (it is not assigned): assign that identity to the function app${f.expected.selector.setting ? `, or fix ${f.expected.selector.setting}` : ''}.`,
    command: `az functionapp identity assign ${appArgs(f)} --identities ${ids}`,
  };
}

function federationRejected(c: Classification): Remediation {
  return {
    summary: `Entra ID rejected the external token this path presented (AADSTS${c.detail.aadsts ?? '?'}): check the federated credential on the identity against the token's issuer, subject and audience.`,
  };
}

function unauthenticated(c: Classification, f: RemediationFacts): Remediation {
  const d = c.detail;
  const service = f.service;
  if (c.reason === 'expired-token')
    return {
      summary: `${service} rejected the access token as expired${f.attested?.expiresOn ? ` (it expired ${f.attested.expiresOn})` : ''}: ${f.tokenIssuer} issued a token that was already expired, or this host's clock is wrong.`,
    };
  if (c.reason === 'wrong-audience')
    return {
      summary: `${service} rejected the token's audience${f.attested?.aud ? ` '${f.attested.aud}'` : ''}; it expects ${f.audience}: check ${f.endpointSetting} and that ${f.tokenIssuer} honours the requested resource.`,
    };
  if (c.reason === 'token-endpoint')
    return {
      summary: `${f.tokenIssuer} refused to issue a token (HTTP ${d.statusCode}${d.code ? ` ${d.code}` : ''}${d.endpoint ? ` from ${d.endpoint}` : ''}): the app's authentication to its token endpoint failed, and retrying does not fix that; check that the endpoint and secret settings of this path are the ones the platform provides (e.g. IDENTITY_ENDPOINT and IDENTITY_HEADER, or AZURE_AUTHORITY_HOST and the client assertion).`,
    };
  if (c.reason === 'client-credential')
    return {
      summary: `Entra ID rejected the client credential (AADSTS${d.aadsts}): rotate it and update the setting that holds it.`,
    };
  return {
    summary: `${service} did not accept the token (HTTP ${d.statusCode ?? 401}${d.code ? ` ${d.code}` : ''}): it was issued for another tenant, issuer or audience than ${service} trusts; compare the token's tid${f.attested?.aud ? ` and aud '${f.attested.aud}'` : ''} with AZURE_TENANT_ID and ${f.endpointSetting}.`,
  };
}

function forbidden(c: Classification, f: RemediationFacts): Remediation {
  const oid = f.principalId ?? '<principal-id>';
  if (c.reason === 'firewall')
    return {
      summary: `${f.service} network rules refuse this app's address (HTTP 403${codes(c.detail)}): allow the app's outbound addresses or use a private endpoint.`,
      command: `az functionapp show ${appArgs(f)} --query outboundIpAddresses -o tsv`,
    };
  return {
    summary: `Principal ${oid} (${f.path}) got a token but lacks '${f.role}' on ${f.scope} (HTTP 403${codes(c.detail)}); assign it, then allow up to 10 minutes for the assignment to apply. ${REDEPLOY_FIRST}`,
    command: roleAssignmentCreateCommand(oid, f.role, f.scope, f.deployment),
  };
}

function notFound(c: Classification, f: RemediationFacts): Remediation {
  const d = c.detail;
  return {
    summary: `${f.service} says the resource does not exist (HTTP 404${d.code ? ` ${d.code}` : ''}): check ${f.endpointSetting} and the names next to it.`,
  };
}

function throttled(c: Classification, f: RemediationFacts): Remediation {
  const d = c.detail;
  return {
    summary: `${c.reason === 'identity-endpoint' ? f.tokenIssuer : f.service} throttled the probe (HTTP 429${d.retryAfterSeconds !== undefined ? `, Retry-After ${d.retryAfterSeconds} s` : ''}): probe less often (PROBE_SCHEDULE) and make sure credentials and clients are reused, not built per request.`,
  };
}

function timeout(c: Classification, f: RemediationFacts): Remediation {
  return {
    summary:
      c.reason === 'token'
        ? `No token from ${f.tokenIssuer} within PROBE_TIMEOUT_MS=${f.timeoutMs} ms: token requests have no client-side timeout, so a hung endpoint would hang every caller; check the endpoint's health.`
        : `${f.service} did not answer within PROBE_TIMEOUT_MS=${f.timeoutMs} ms${c.detail.endpoint ? ` (${c.detail.endpoint})` : ''}: check its health, network path and private endpoints.`,
  };
}

function unreachable(c: Classification, f: RemediationFacts): Remediation {
  const d = c.detail;
  const where = d.endpoint ?? (d.phase === 'token' ? f.tokenIssuer : f.endpointSetting);
  if (c.reason === 'tls')
    return {
      summary: `TLS to ${where} failed: its certificate is not trusted (${d.message ?? ''}); a local sandbox's CA must be in NODE_EXTRA_CA_CERTS before Node starts.`,
    };
  return {
    summary: `Could not reach ${where}${d.code ? ` (${d.code})` : ''}: check ${d.phase === 'token' ? 'the identity endpoint' : f.endpointSetting}, DNS, firewall and private endpoints.`,
  };
}

function unexpected(c: Classification, f: RemediationFacts): Remediation {
  const d = c.detail;
  if (d.replayed)
    return {
      summary: `${d.phase === 'token' ? f.tokenIssuer : f.service} failed${d.statusCode ? ` with HTTP ${d.statusCode}` : ''} at ${d.firstSeenAt ?? 'an earlier probe'}; the auth library is replaying that cached error without asking again (for up to its Retry-After, 60 s by default), so this result is not a new failure: look at the next probe after that.`,
    };
  return {
    summary: `Unexpected failure${d.statusCode ? ` (HTTP ${d.statusCode}${d.code ? ` ${d.code}` : ''})` : d.errorName ? ` (${d.errorName})` : ''} from ${d.phase === 'token' ? f.tokenIssuer : f.service}: usually transient; if it persists, quote ${d.requestId ? `request id ${d.requestId}` : d.correlationId ? `correlation id ${d.correlationId}` : 'the time of failure'} to support.`,
  };
}

/**
 * A `denied` probe that got in, before its grants are looked up: the role that would let it in and where. The
 * grants and the exact removal command come from the privileges check (ProbeRunner options.explainAccess).
 */
export function unexpectedAccessRemediation(f: RemediationFacts): Remediation {
  const oid = f.principalId ?? 'the identity';
  return exactOrMissing({
    summary: `The declaration says ${f.service} must refuse ${oid} (${f.path}) on ${f.scope}, but it let it in: some role assignment at that scope or above grants it (e.g. '${f.role}'). List them and remove the one that should not be there.`,
    command: `az role assignment list --assignee ${oid} --scope ${f.scope} --include-inherited -o table`,
  });
}

const BY_KIND: Record<OutcomeKind, KindRemediation> = {
  ok: () => ({ summary: 'Nothing to do.' }),
  'wrong-identity': (_c, f) => wrongIdentityRemediation(f),
  misconfigured,
  'no-identity-endpoint': noIdentityEndpoint,
  'identity-not-found': identityNotFound,
  'federation-rejected': federationRejected,
  unauthenticated,
  forbidden,
  // The privileges check's own kind (src/privileges builds its remediation); never a probe's.
  'over-privileged': () => ({
    summary: 'See the privileges check of this identity (GET /api/privileges/{path}).',
  }),
  // Built where the grant is found (the denied probe's own remediation); never classified from an error.
  'unexpectedly-allowed': () => ({
    summary:
      'This identity must be refused here but got in: remove the role assignment that grants it (see the privileges check, GET /api/privileges/{path}).',
  }),
  'not-found': notFound,
  throttled,
  timeout,
  unreachable,
  error: unexpected,
};

/**
 * A command is printed only when it is complete: one that still holds a `<placeholder>` (a name, id or value the
 * settings do not give) would fail or do the wrong thing when run as printed, so the summary names what is missing
 * instead.
 */
export function exactOrMissing(r: Remediation): Remediation {
  const missing = [...new Set(r.command?.match(/<[^<>\s]+>/g) ?? [])];
  if (!missing.length) return r;
  const what = missing.map((m) => m.slice(1, -1).replace(/-/g, ' ')).join(', ');
  return {
    summary: `${r.summary} No exact az command can be printed: the ${what} ${missing.length > 1 ? 'are' : 'is'} not known from the app's settings.`,
  };
}

/** The remediation for a classified failure: the target's own, else the path's own, else the generic one. */
export function remediate(c: Classification, f: RemediationFacts): Remediation {
  return exactOrMissing(
    f.modules.target.remediate?.(c, f) ?? f.modules.path.remediate?.(c, f) ?? BY_KIND[c.kind](c, f),
  );
}
