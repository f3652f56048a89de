// What the identity paths share: the token issuer of the managed identity paths and their credentials' retry bound.
import type { Config } from '../config.ts';

/** The token issuer of every managed identity path: the platform's endpoint msal-node picked. */
export const managedIdentityIssuer = (config: Config): string =>
  `the managed identity endpoint (${config.managedIdentitySource})`;

/** Retries bounded so that a persistent failure surfaces as its real kind well before the probe deadline
 * (defaults are 3-5 retries with up to 64 s back-off: docs/identity-wire.md §1.7), while a single blip is still
 * absorbed the way an app with default settings would absorb it. */
export const CREDENTIAL_RETRY = { maxRetries: 3, retryDelayInMs: 300, maxRetryDelayInMs: 2000 } as const;
