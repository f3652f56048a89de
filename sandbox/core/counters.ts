// Counters of token-issuing requests, per source, identity and audience (what the SDK caches did not absorb).

export interface TokenCountKey {
  source: string;
  principalId: string;
  audience: string;
}

export class Counters {
  total = 0;
  bySource: Record<string, number> = {};
  byIdentity: Record<string, number> = {};
  byAudience: Record<string, number> = {};
  byIdentityAudience: Record<string, number> = {};
  /** Every request per endpoint (token or not), for tests of caching and faults. */
  requestsByEndpoint: Record<string, number> = {};
  /** ARM permissions reads per `{principalId} {scope}` (scope lowercased): what a privileges check costs. */
  permissionsReads: Record<string, number> = {};
  /** Connections accepted and TLS handshakes completed per server label: what a client's first calls cost. */
  connections: Record<string, number> = {};
  tlsHandshakes: Record<string, number> = {};

  tokenIssued(k: TokenCountKey): void {
    this.total++;
    inc(this.bySource, k.source);
    inc(this.byIdentity, k.principalId);
    inc(this.byAudience, k.audience);
    inc(this.byIdentityAudience, `${k.principalId} ${k.audience}`);
  }

  request(endpoint: string): void {
    inc(this.requestsByEndpoint, endpoint);
  }

  permissionsRead(principalId: string, scope: string): void {
    inc(this.permissionsReads, `${principalId.toLowerCase()} ${scope.toLowerCase()}`);
  }

  connection(label: string, tls: boolean): void {
    inc(this.connections, label);
    if (tls) inc(this.tlsHandshakes, label);
  }

  snapshot() {
    return {
      tokenRequests: {
        total: this.total,
        bySource: { ...this.bySource },
        byIdentity: { ...this.byIdentity },
        byAudience: { ...this.byAudience },
        byIdentityAudience: { ...this.byIdentityAudience },
      },
      requestsByEndpoint: { ...this.requestsByEndpoint },
      permissionsReads: { ...this.permissionsReads },
      connections: { ...this.connections },
      tlsHandshakes: { ...this.tlsHandshakes },
    };
  }

  reset(): void {
    this.total = 0;
    this.bySource = {};
    this.byIdentity = {};
    this.byAudience = {};
    this.byIdentityAudience = {};
    this.requestsByEndpoint = {};
    this.permissionsReads = {};
    this.connections = {};
    this.tlsHandshakes = {};
  }
}

function inc(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}
