// Every az and func command of a deployment with its values filled in: what `npm run deploy` runs, and what
// `npm run deploy -- --dry-run` prints.
import type { DeployOptions } from './args.ts';

export interface Command {
  argv: string[];
  /** Working directory, when not the repository root. */
  cwd?: string;
  /** Capture stdout (checks, outputs) instead of streaming it. */
  capture?: boolean;
}

/** The parameters `npm run deploy` gives infra/main.bicep on top of infra/main.parameters.json. */
export const deploymentParameters = (o: DeployOptions) => [
  `environmentName=${o.env}`,
  `location=${o.location}`,
  `functionAppName=${o.appName}`,
  `federatedIssuer=${o.federatedIssuer}`,
  `federatedSubject=${o.federatedSubject}`,
  ...(o.federatedTokenUrl ? [`federatedTokenUrl=${o.federatedTokenUrl}`] : []),
  ...(o.federatedTokenFile ? [`federatedTokenFile=${o.federatedTokenFile}`] : []),
];

/** Every az and func command of a deployment, with the values filled in. */
export function plan(o: DeployOptions, stagingDir: string) {
  const sub = o.subscription ? ['--subscription', o.subscription] : [];
  const deploymentName = `identity-probes-${o.env}`;
  const parameters = deploymentParameters(o);
  return {
    deploymentName,
    checks: [
      { argv: ['az', 'version', '--output', 'json'], capture: true },
      { argv: ['az', 'account', 'show', ...sub, '--output', 'json'], capture: true },
      { argv: ['func', '--version'], capture: true },
    ] satisfies Command[],
    group: {
      argv: [
        'az',
        'group',
        'create',
        '--name',
        o.resourceGroup,
        '--location',
        o.location,
        '--tags',
        `identity-probes-env=${o.env}`,
        ...sub,
        '--output',
        'none',
      ],
    } satisfies Command,
    /** `newEnvironment`: the first deployment of the environment, with the alert rule off (scripts/deploy/alerts.ts). */
    deployment: (newEnvironment = false): Command => ({
      argv: [
        'az',
        'deployment',
        'group',
        'create',
        '--resource-group',
        o.resourceGroup,
        '--name',
        deploymentName,
        '--template-file',
        'infra/main.bicep',
        '--parameters',
        '@infra/main.parameters.json',
        '--parameters',
        ...parameters,
        ...(newEnvironment ? ['alertsEnabled=false'] : []),
        ...sub,
        '--query',
        'properties.outputs',
        '--output',
        'json',
      ],
      capture: true,
    }),
    // Published from the staging folder, which holds only the package. --javascript: the folder has no
    // local.settings.json or tsconfig to tell Core Tools the language; --no-build: it is already built (a Flex
    // remote build would npm install again on Azure).
    publish: (appName: string): Command => ({
      argv: ['func', 'azure', 'functionapp', 'publish', appName, '--javascript', '--no-build', ...sub],
      cwd: stagingDir,
    }),
    keys: (appName: string): Command => ({
      argv: [
        'az',
        'functionapp',
        'keys',
        'list',
        '--resource-group',
        o.resourceGroup,
        '--name',
        appName,
        ...sub,
        '--query',
        'functionKeys.default',
        '--output',
        'tsv',
      ],
    }),
  };
}
