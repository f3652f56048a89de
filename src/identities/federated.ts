import { settingProblems } from '../config.ts';
import { answeringHttpClient } from '../core/answerLog.ts';
import { federatedIdentity } from './expected.ts';
import { federatedRemediation, ficFieldRule, tokenSourceRule } from './federatedKnowledge.ts';
import {
  createFileTokenSource,
  createUrlTokenSource,
  type FederatedTokenSource,
} from './federatedTokenSource.ts';
import type { IdentityPath } from '../core/plugins.ts';
import type { FederatedTokenStatus } from '../core/results.ts';
import { CREDENTIAL_RETRY } from './shared.ts';

let source: FederatedTokenSource | undefined;
/** The token source of the last fresh credential (timer run). */
let freshSource: FederatedTokenSource | undefined;

/** Where the external token comes from and when it expires / will be refreshed (never the token): the one read last. */
export function federatedTokenStatus(): FederatedTokenStatus | undefined {
  const a = source?.status();
  const b = freshSource?.status();
  if (!a || !b) return a ?? b;
  return Date.parse(b.obtainedAt ?? '') > Date.parse(a.obtainedAt ?? '') ? b : a;
}

export const federated: IdentityPath = {
  id: 'federated',
  credential: 'ClientAssertionCredential(AZURE_TENANT_ID, FEDERATED_CLIENT_ID, external OIDC token)',
  problems(config) {
    const problems = settingProblems(
      config,
      ['AZURE_TENANT_ID', 'FEDERATED_CLIENT_ID', 'FEDERATED_PRINCIPAL_ID'],
      [
        'FEDERATED_TOKEN_FILE',
        'FEDERATED_TOKEN_URL',
        'AZURE_AUTHORITY_HOST',
        'AZURE_DISABLE_INSTANCE_DISCOVERY',
      ],
    );
    const { tokenFile, tokenUrl } = config.federated;
    if (!tokenFile && !tokenUrl && !problems.some((p) => p.setting.startsWith('FEDERATED_TOKEN_')))
      problems.push({
        setting: 'FEDERATED_TOKEN_FILE',
        problem: 'is not set (set FEDERATED_TOKEN_FILE or FEDERATED_TOKEN_URL)',
      });
    return problems;
  },
  expected: federatedIdentity,
  cacheKey: (config) => `assertion:${config.federated.clientId?.toLowerCase()}`,
  usesManagedIdentity: false,
  tokenIssuer: () => 'Entra ID (AZURE_AUTHORITY_HOST)',
  report: () => {
    const federatedToken = federatedTokenStatus();
    return federatedToken ? { federatedToken } : {};
  },
  facts(config) {
    const fed = federatedTokenStatus();
    return {
      clientId: config.federated.clientId,
      resourceId: config.federated.resourceId,
      tenantId: config.tenantId,
      issuer: fed?.issuer,
      subject: fed?.subject,
      audience: fed?.audience,
      expiresOn: fed?.expiresOn,
      source: fed?.source,
    };
  },
  errors: { typed: [tokenSourceRule, ficFieldRule] },
  remediate: federatedRemediation,
  // A fresh credential (timer run) has its own token source, so the external token is read or fetched again, and
  // its own MSAL confidential client (createMsalClient keeps one cache per credential instance), so the exchange
  // at Entra ID happens again. The status then describes the token read last.
  async create(config, options) {
    const { ClientAssertionCredential } = await import('@azure/identity');
    const f = config.federated;
    const tokenSource = f.tokenFile
      ? createFileTokenSource(f.tokenFile)
      : createUrlTokenSource(f.tokenUrl!, { timeoutMs: config.probeTimeoutMs });
    if (options?.fresh) freshSource = tokenSource;
    else source = tokenSource;
    // Not AZURE_FEDERATED_TOKEN_FILE: that name switches ManagedIdentityCredential into AKS token-exchange mode
    // for every path (docs/identity-wire.md §9.2).
    return new ClientAssertionCredential(config.tenantId!, f.clientId!, () => tokenSource.getAssertion(), {
      ...(f.authorityHost ? { authorityHost: f.authorityHost } : {}),
      // Sandbox-only switch: MSAL would otherwise ask login.microsoftonline.com to validate a loopback authority
      // (docs/identity-wire.md §10.2).
      disableInstanceDiscovery: f.disableInstanceDiscovery,
      retryOptions: CREDENTIAL_RETRY,
      httpClient: answeringHttpClient('token'),
    });
  },
};
