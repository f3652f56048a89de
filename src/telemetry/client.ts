// The Application Insights client: Microsoft's own library (applicationinsights 3.x, built on the Azure Monitor
// OpenTelemetry exporter), used without its global auto-instrumentation (useGlobalProviders: false), so it sends only
// what track*() is given. Ingestion is authenticated with Entra ID through the managed identity that
// APPLICATIONINSIGHTS_AUTHENTICATION_STRING names (local authentication is disabled on the component). A pipeline
// policy and the credential are wrapped only to observe what ingestion answered (health.ts); nothing is sent by hand.
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { Config } from '../config.ts';
import { configurationManagerModule } from './exporterConfiguration.ts';
import { sendAnswered, sendFailed } from './health.ts';

export interface Sender {
  trackAvailability(item: object): void;
  trackEvent(item: object): void;
  flush(): Promise<void>;
}

class ObservedCredential implements TokenCredential {
  readonly #inner: TokenCredential;
  constructor(inner: TokenCredential) {
    this.#inner = inner;
  }
  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    try {
      return await this.#inner.getToken(scopes, options);
    } catch (err) {
      sendFailed(err, 'token');
      throw err;
    }
  }
}

/** Sees every answer of the track API (the exporter's REST client honours additionalPolicies). */
const observeAnswers: PipelinePolicy = {
  name: 'identityProbesTelemetryHealth',
  async sendRequest(request, next) {
    try {
      const response = await next(request);
      sendAnswered(response.status, response.bodyAsText ?? undefined);
      return response;
    } catch (err) {
      sendFailed(err, 'connection');
      throw err;
    }
  },
};

interface RemoteConfiguration {
  shutdown(): void;
  worker?: unknown;
}

/**
 * The exporter the library uses (@azure/monitor-opentelemetry-exporter 1.0.0-beta.47) starts polling Microsoft's
 * OneSettings service (settings.sdk.monitor.azure.com, "dynamic SDK configuration") 5-15 s after it is created,
 * with no setting to turn it off (its _configuration/configurationManager.js reads no environment switch). This app
 * needs no remote configuration, and a local run must not reach out of the machine, so the poller is stopped before
 * its first request. Returns the singleton, or undefined when the library's layout changed (then nothing is stopped
 * and the test that checks it fails).
 */
export function exporterRemoteConfiguration(): RemoteConfiguration | undefined {
  try {
    const mod = configurationManagerModule() as {
      ConfigurationManager?: { getInstance(): RemoteConfiguration };
    };
    return mod.ConfigurationManager?.getInstance();
  } catch {
    return undefined;
  }
}

/** Builds the sender; only called when a connection string and an Entra identity are configured. */
export async function createSender(config: Config): Promise<Sender> {
  // applicationinsights is CommonJS: its exports object is the default export under Node and in the bundle alike
  // (esbuild gives a dynamic import of a CommonJS module no named exports: https://esbuild.github.io/content-types/#es6-cjs-interop).
  const [{ default: insights }, { ManagedIdentityCredential }] = await Promise.all([
    import('applicationinsights'),
    import('@azure/identity'),
  ]);
  const { TelemetryClient } = insights;
  const t = config.telemetry;
  const credential = new ObservedCredential(
    t.clientId === 'system'
      ? new ManagedIdentityCredential()
      : new ManagedIdentityCredential({ clientId: t.clientId! }),
  );
  const client = new TelemetryClient(t.connectionString, { useGlobalProviders: false });
  client.config.azureMonitorOpenTelemetryOptions = {
    azureMonitorExporterOptions: {
      connectionString: t.connectionString,
      credential,
      // A batch the service refused is reported (health.ts), not kept on disk and replayed later.
      disableOfflineStorage: true,
      additionalPolicies: [{ policy: observeAnswers, position: 'perCall' }],
    },
  };
  client.initialize(); // creates the exporters now, so that their remote configuration poller can be stopped
  exporterRemoteConfiguration()?.shutdown();
  return {
    trackAvailability: (item) => client.trackAvailability(item as never),
    trackEvent: (item) => client.trackEvent(item as never),
    flush: () => client.flush(),
  };
}
