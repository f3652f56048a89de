import { CALL_ANSWER_POLICIES } from '../core/answerLog.ts';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { TARGETS as CATALOG } from '../../common/catalog.ts';
import { settingProblems, type Config } from '../config.ts';
import { endpointProblems } from '../core/endpoints.ts';
import type { RemediationHook } from '../core/plugins.ts';
import type { Target } from '../core/plugins.ts';
import { RESOURCE_RETRY, resourceGroupScope } from './shared.ts';

interface ErrorBody {
  code?: string;
  message?: string;
}

/**
 * arm-resources v8 pages through @azure-rest/core-client, which throws "Pagination failed with unexpected
 * statusCode 403" and drops the service's error body (docs/data-plane.md §2.1). This per-client policy keeps
 * the body of failed responses by client request id so the error can be given its real code and message back.
 */
function errorBodyKeeper(): {
  policy: PipelinePolicy;
  take(requestId: string | undefined): ErrorBody | undefined;
} {
  const bodies = new Map<string, ErrorBody>();
  return {
    policy: {
      name: 'identityProbesKeepErrorBody',
      async sendRequest(request, next) {
        const response = await next(request);
        if (response.status >= 400 && response.bodyAsText) {
          try {
            const parsed = JSON.parse(response.bodyAsText) as { error?: ErrorBody };
            if (parsed.error) {
              if (bodies.size > 100) bodies.clear();
              bodies.set(request.requestId, { code: parsed.error.code, message: parsed.error.message });
            }
          } catch {
            // not JSON: nothing to keep
          }
        }
        return response;
      },
    },
    take(requestId) {
      if (!requestId) return undefined;
      const body = bodies.get(requestId);
      bodies.delete(requestId);
      return body;
    },
  };
}

const remediate: RemediationHook = (c, f) => {
  const { subscriptionId, resourceGroup } = f.targetFacts;
  if (c.kind === 'not-found' && c.reason === 'ResourceGroupNotFound')
    return {
      summary: `Resource group '${resourceGroup}' does not exist in subscription ${subscriptionId}: fix AZURE_RESOURCE_GROUP or AZURE_SUBSCRIPTION_ID.`,
      command: `az group show --name ${resourceGroup} --subscription ${subscriptionId}`,
    };
  if (c.kind === 'not-found' && c.reason === 'SubscriptionNotFound')
    return {
      summary: `Subscription ${subscriptionId} is not visible to this identity: fix AZURE_SUBSCRIPTION_ID.`,
      command: 'az account list --query "[].{name:name, id:id}" -o table',
    };
  return undefined;
};

/**
 * Whether the scope is the whole subscription: AZURE_RESOURCE_GROUP not set at all (a declared subscription scope
 * leaves it out). Set but invalid is not that: it stays a problem to name.
 */
function subscriptionWide(config: Config): boolean {
  return !config.present.includes('AZURE_RESOURCE_GROUP');
}

export const arm: Target = {
  id: 'arm',
  role: CATALOG.arm.role,
  service: 'Azure Resource Manager',
  endpointSetting: CATALOG.arm.endpointSetting,
  facts: (config) => ({
    subscriptionId: config.arm.subscriptionId,
    resourceGroup: config.arm.resourceGroup,
  }),
  // ARM's 403 names the scope it checked: "... over scope '<scope>'" (docs/data-plane.md §2.3).
  errors: { scope: (text) => /over scope '([^']+)'/.exec(text)?.[1] },
  remediate,
  audience: (config) => config.arm.audience,
  // A declared arm-scope may be a whole subscription (common/declaration/schema.ts): with no AZURE_RESOURCE_GROUP
  // the target lists the subscription's resources instead of the group's. A group set but invalid is still named.
  problems: (config) => [
    ...settingProblems(
      config,
      ['AZURE_SUBSCRIPTION_ID', ...(subscriptionWide(config) ? [] : ['AZURE_RESOURCE_GROUP'])],
      ['ARM_ENDPOINT', 'ARM_AUDIENCE'],
    ),
    ...endpointProblems(config, 'ARM_ENDPOINT', 'arm'),
  ],
  scope: (config) =>
    subscriptionWide(config)
      ? `/subscriptions/${config.arm.subscriptionId ?? '<subscription-id>'}`
      : resourceGroupScope(config),
  async createCall(credential, config) {
    const { ResourceManagementClient } = await import('@azure/arm-resources');
    const { endpoint, audience, resourceGroup } = config.arm;
    const keeper = errorBodyKeeper();
    // v8 ignores `endpoint` when choosing the token scope (it always asks for management.azure.com) unless
    // credentials.scopes is given (docs/data-plane.md §2.1), so the scope follows the configured audience.
    const client = new ResourceManagementClient(credential, config.arm.subscriptionId!, {
      endpoint,
      credentials: { scopes: [`${audience}/.default`] },
      retryOptions: RESOURCE_RETRY,
      additionalPolicies: [...CALL_ANSWER_POLICIES, { policy: keeper.policy, position: 'perCall' }],
    });
    const wide = subscriptionWide(config);
    return async (abortSignal) => {
      try {
        // First page only, bounded: the question is "may this identity read the scope", not its inventory.
        const pages = wide
          ? client.resources.list({ top: 10, abortSignal })
          : client.resources.listByResourceGroup(resourceGroup!, { top: 10, abortSignal });
        const first = await pages.byPage().next();
        return {
          ...(wide ? { subscription: config.arm.subscriptionId! } : { resourceGroup: resourceGroup! }),
          resourcesOnFirstPage: first.done ? 0 : first.value.length,
          morePages: Boolean(!first.done && first.value.continuationToken),
        };
      } catch (err) {
        const e = err as { request?: { requestId?: string }; details?: unknown; message: string };
        const body = keeper.take(e.request?.requestId);
        if (body && e.details === undefined) {
          e.details = { error: body };
          if (body.message) e.message = body.message;
        }
        throw err;
      }
    };
  },
};
