// The Application Insights client: Microsoft's own library (applicationinsights 3.x, built on the Azure Monitor
// OpenTelemetry exporter), used without its global auto-instrumentation (useGlobalProviders: false), so it sends only
// what track*() is given. Ingestion is authenticated with Entra ID through the managed identity that
// APPLICATIONINSIGHTS_AUTHENTICATION_STRING names (local authentication is disabled on the component). Its HTTP
// client and credential are wrapped only to observe what ingestion answered (health.ts); nothing is sent by hand.
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import type { HttpClient, PipelineRequest, PipelineResponse } from '@azure/core-rest-pipeline';
import type { Config } from '../config.ts';
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

function observedHttpClient(inner: HttpClient): HttpClient {
  return {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      try {
        const response = await inner.sendRequest(request);
        sendAnswered(response.status, response.bodyAsText ?? undefined);
        return response;
      } catch (err) {
        sendFailed(err, 'connection');
        throw err;
      }
    },
  };
}

/** Builds the sender; only called when a connection string and an Entra identity are configured. */
export async function createSender(config: Config): Promise<Sender> {
  const [{ TelemetryClient }, { ManagedIdentityCredential }, { createDefaultHttpClient }] = await Promise.all(
    [import('applicationinsights'), import('@azure/identity'), import('@azure/core-rest-pipeline')],
  );
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
      httpClient: observedHttpClient(createDefaultHttpClient()),
    },
  };
  return {
    trackAvailability: (item) => client.trackAvailability(item as never),
    trackEvent: (item) => client.trackEvent(item as never),
    flush: () => client.flush(),
  };
}
