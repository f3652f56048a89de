// The monitor plane: the world's Application Insights component, served as its ingestion endpoint (ingestion.ts),
// with what it received queryable and counted through the admin API. The app finds it through the connection
// string the sandbox puts into appSettings (APPLICATIONINSIGHTS_CONNECTION_STRING, with the host identity named in
// APPLICATIONINSIGHTS_AUTHENTICATION_STRING, as infra/modules/function-app.bicep sets them in Azure).
import type { SettingName } from '../../common/catalog.ts';
import type { PlaneHandle, SandboxContext } from '../core/context.ts';
import { SandboxError } from '../core/errors.ts';
import { sendJson } from '../core/http.ts';
import type { RoleAssignmentStore } from '../resources/rbac/store.ts';
import { deterministicGuid, type World } from '../world.ts';
import { ingestionHandler, TelemetryStore, type Component, type ReceivedItem } from './ingestion.ts';

export interface MonitorPlane extends PlaneHandle {
  store: TelemetryStore;
}

/**
 * The host settings for telemetry, as infra/modules/function-app.bicep sets them: the component's connection string
 * (ingestion at `origin`) and the host identity that sends. None when the world has no component or no host identity.
 */
export function telemetrySettings(
  world: World,
  origin: string | undefined,
): Partial<Record<SettingName, string>> {
  const c = componentOf(world);
  const host = world.identities.find((i) => i.key === 'host');
  if (!c || !origin || !host) return {};
  return {
    APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=${c.instrumentationKey};IngestionEndpoint=${origin}/;LiveEndpoint=${origin}/`,
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${host.clientId};Authorization=AAD`,
  };
}

function componentOf(world: World): Component | undefined {
  const ai = world.applicationInsights;
  return ai && { resourceId: ai.resourceId, instrumentationKey: deterministicGuid(`ikey|${ai.resourceId}`) };
}

const KINDS: Record<string, string> = { availability: 'AvailabilityData', event: 'EventData' };

function query(items: ReceivedItem[], url: URL): ReceivedItem[] {
  const kind = url.searchParams.get('kind');
  const name = url.searchParams.get('name');
  // Own keys only: `kind=__proto__` or `constructor` must not find Object.prototype's members (issue 24).
  if (kind && !Object.hasOwn(KINDS, kind))
    throw SandboxError.json(400, {
      error: 'invalid_kind',
      message: `kind must be one of ${Object.keys(KINDS).join(', ')}`,
    });
  return items.filter((i) => (!kind || i.baseType === KINDS[kind]) && (!name || i.name === name));
}

export async function startMonitorPlane(
  ctx: SandboxContext,
  rbac: RoleAssignmentStore,
): Promise<MonitorPlane> {
  const store = new TelemetryStore();
  const server = await ctx.startServer({
    endpoint: 'monitor',
    label: 'monitor',
    tls: ctx.serverCert,
    handler: ingestionHandler(ctx, store, rbac, () => componentOf(ctx.world)),
  });
  const a = ctx.admin;
  a.add('GET', '/_sandbox/telemetry', (_q, res, _p, url) =>
    sendJson(res, 200, { items: query(store.items, url), counts: store.counts() }),
  );
  a.add('GET', '/_sandbox/telemetry/counts', (_q, res) => sendJson(res, 200, store.counts()));
  a.add('GET', '/_sandbox/telemetry/requests', (_q, res) => sendJson(res, 200, { requests: store.requests }));
  // Everything the ingestion endpoint received, decompressed (leak tests search it; loopback admin only).
  a.add('GET', '/_sandbox/telemetry/bodies', (_q, res) => sendJson(res, 200, { bodies: store.bodies }));
  a.add('DELETE', '/_sandbox/telemetry', (_q, res) => {
    const cleared = store.items.length;
    store.clear();
    sendJson(res, 200, { cleared });
  });
  return {
    store,
    endpoints: { monitor: server.origin },
    close: () => server.close(),
  };
}
