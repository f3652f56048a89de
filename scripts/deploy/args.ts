// Command-line options of `npm run deploy`, validated up front so a bad value fails before anything runs.
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';

export interface DeployOptions {
  dryRun: boolean;
  resourceGroup: string;
  location: string;
  /** environmentName in main.bicep: seeds every resource name. */
  env: string;
  appName: string;
  subscription?: string;
  federatedIssuer: string;
  federatedSubject: string;
  federatedTokenUrl?: string;
  federatedTokenFile?: string;
  /** Where the deployment package is staged (default: a new temporary folder). */
  stagingDir?: string;
  /** Package the bundle `npm run build` made (dist/app) instead of building it into the staging folder. */
  reuseDist: boolean;
}

export const USAGE = `Usage: npm run deploy -- [options]

Creates or updates the Azure resources (infra/main.bicep), builds the deployment package and publishes it with
Azure Functions Core Tools. Needs az (logged in: az login) and func (Core Tools 4.x) on the PATH.

  --federated-issuer URL     issuer (iss) of the external OIDC token for the federated path (required;
                             env FEDERATED_ISSUER)
  --federated-subject SUB    subject (sub) of that token (required; env FEDERATED_SUBJECT)
  --federated-token-url URL  where the app fetches that token (FEDERATED_TOKEN_URL), or
  --federated-token-file P   absolute path of a file holding it (FEDERATED_TOKEN_FILE)
  --name-prefix NAME, --env  environment name, 2-20 of a-z 0-9 - (default: probes)
  --resource-group NAME      resource group (default: rg-identity-probes-<env>; created if missing)
  --location REGION          region with Flex Consumption (default: $AZURE_LOCATION or westeurope)
  --app-name NAME            function app name (default: func-<env>-<hash of resource group and env>)
  --subscription ID          subscription (default: the az CLI's current one)
  --staging-dir DIR          where to stage the package (default: a new temporary folder); must be empty
  --reuse-dist               package the bundle npm run build made (dist/app) instead of building it anew
  --dry-run                  print every command with its values, stage the package and report its size;
                             runs no az or func command at all
  -h, --help                 this text`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const ENV_NAME = /^[a-z][a-z0-9-]{0,18}[a-z0-9]$/;
const APP_NAME = /^[a-zA-Z0-9][a-zA-Z0-9-]{0,58}[a-zA-Z0-9]$/;
const RESOURCE_GROUP = /^[-\w.()]{0,89}[-\w()]$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A default app name that is the same in a dry run and a real run (no Azure lookup needed). */
export function defaultAppName(resourceGroup: string, env: string): string {
  const hash = createHash('sha256').update(`${resourceGroup.toLowerCase()}/${env}`).digest('hex').slice(0, 8);
  return `func-${env}-${hash}`;
}

const OPTIONS = {
  'dry-run': { type: 'boolean', default: false },
  'resource-group': { type: 'string' },
  location: { type: 'string' },
  'name-prefix': { type: 'string' },
  env: { type: 'string' },
  'app-name': { type: 'string' },
  subscription: { type: 'string' },
  'federated-issuer': { type: 'string' },
  'federated-subject': { type: 'string' },
  'federated-token-url': { type: 'string' },
  'federated-token-file': { type: 'string' },
  'staging-dir': { type: 'string' },
  'reuse-dist': { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** The federated path's options: the external token's issuer and subject, and where the app reads the token. */
function federationOptions(
  values: { [k: string]: string | boolean | undefined },
  env: NodeJS.ProcessEnv,
): { issuer: string; subject: string; tokenUrl?: string; tokenFile?: string } {
  const issuer = (values['federated-issuer'] as string | undefined) ?? env.FEDERATED_ISSUER;
  const subject = (values['federated-subject'] as string | undefined) ?? env.FEDERATED_SUBJECT;
  if (!issuer)
    throw new UsageError(
      '--federated-issuer is required: the issuer (iss) of the external OIDC token the federated path exchanges',
    );
  if (!subject) throw new UsageError('--federated-subject is required: the subject (sub) of that token');
  let issuerUrl: URL;
  try {
    issuerUrl = new URL(issuer);
  } catch {
    throw new UsageError(`--federated-issuer '${issuer}' is not a URL`);
  }
  // Entra ID accepts only https issuers, and compares issuer and subject case-sensitively and verbatim: stray
  // whitespace makes every exchange fail (docs/pain-points.md P9).
  if (issuerUrl.protocol !== 'https:') throw new UsageError('--federated-issuer must be an https:// URL');
  if (issuer.trim() !== issuer || subject.trim() !== subject)
    throw new UsageError('--federated-issuer and --federated-subject must not start or end with whitespace');
  const tokenUrl = values['federated-token-url'] as string | undefined;
  const tokenFile = values['federated-token-file'] as string | undefined;
  if (tokenUrl && tokenFile)
    throw new UsageError('give one of --federated-token-url and --federated-token-file');
  if (tokenUrl) {
    try {
      new URL(tokenUrl);
    } catch {
      throw new UsageError(`--federated-token-url '${tokenUrl}' is not a URL`);
    }
  }
  if (tokenFile && !tokenFile.startsWith('/'))
    throw new UsageError('--federated-token-file must be an absolute path');

  return { issuer, subject, tokenUrl, tokenFile };
}

/** Parses and validates argv; returns undefined for --help. Throws UsageError with a clear message. */
export function parseDeployArgs(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): DeployOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: OPTIONS,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return undefined;

  const envName = values['name-prefix'] ?? values.env ?? 'probes';
  if (values['name-prefix'] && values.env && values['name-prefix'] !== values.env)
    throw new UsageError('--name-prefix and --env are the same option; give one');
  if (!ENV_NAME.test(envName))
    throw new UsageError(
      `--name-prefix '${envName}' must be 2-20 characters: lowercase letters, digits and hyphens`,
    );
  const resourceGroup = values['resource-group'] ?? `rg-identity-probes-${envName}`;
  if (!RESOURCE_GROUP.test(resourceGroup))
    throw new UsageError(`--resource-group '${resourceGroup}' is not a valid name`);
  const location = values.location ?? env.AZURE_LOCATION ?? 'westeurope';
  if (!/^[a-z0-9]+$/.test(location))
    throw new UsageError(`--location '${location}' must be a region name such as westeurope`);
  const appName = values['app-name'] ?? defaultAppName(resourceGroup, envName);
  if (!APP_NAME.test(appName))
    throw new UsageError(`--app-name '${appName}' must be 2-60 letters, digits and hyphens`);
  // az accepts a subscription ID or name.
  if (
    values.subscription !== undefined &&
    !GUID.test(values.subscription) &&
    !/^\S(.*\S)?$/.test(values.subscription)
  )
    throw new UsageError('--subscription must be a subscription ID or name');

  const { issuer, subject, tokenUrl, tokenFile } = federationOptions(values, env);

  return {
    dryRun: values['dry-run'] === true,
    resourceGroup,
    location,
    env: envName,
    appName,
    subscription: values.subscription,
    federatedIssuer: issuer,
    federatedSubject: subject,
    federatedTokenUrl: tokenUrl,
    federatedTokenFile: tokenFile,
    stagingDir: values['staging-dir'],
    reuseDist: values['reuse-dist'] === true,
  };
}
