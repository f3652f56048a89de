// Puts stand-in `az` and `func` (test/infra/fixtures/standin-tools.mjs, run by this Node) first on a PATH of their
// own, with a scenario, and reads back what they were asked; runs `npm run deploy` with such a PATH and the deploy
// tests' common arguments.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'standin-tools.mjs');
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const ISSUER = 'https://oidc.prod-aks.azure.com/0ddb16eb-3bbd-4edd-9043-81e700fd85cd/';
export const SUBJECT = 'system:serviceaccount:probes:identity-probes';
export const TOKEN_URL = 'https://token-broker.example.com/identity-probes/token';
/** A deployment's required arguments: resource group, location, name prefix and the federated credential. */
export const DEPLOY_ARGS = [
  '--resource-group',
  'rg-probes-test',
  '--location',
  'swedencentral',
  '--name-prefix',
  'ci1',
  '--federated-issuer',
  ISSUER,
  '--federated-subject',
  SUBJECT,
  '--federated-token-url',
  TOKEN_URL,
];

/**
 * Runs scripts/deploy.ts with the project's Node 22 in the repository, with `path` as the whole PATH (the stand-ins'
 * folder, which is also STANDIN_DIR, or a folder with no az and no func) and `env` added.
 */
export function runDeploy(
  args: string[],
  path: string,
  env: Record<string, string> = {},
  timeoutMs = 120_000,
) {
  return spawnSync(process.execPath, [join(ROOT, 'scripts', 'deploy.ts'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: path, HOME: process.env.HOME ?? tmpdir(), STANDIN_DIR: path, ...env },
    timeout: timeoutMs,
  });
}

export interface Scenario {
  bicep?: 'az' | 'path' | 'none';
  bicepBuildError?: boolean;
  bicepLintWarning?: boolean;
  deletedVaults?: unknown[];
  listDeletedError?: boolean;
  roleAfterPolls?: number;
  publish403?: number;
  publishError?: boolean;
  existingDeployment?: boolean;
  greenAfterPolls?: number;
}

export interface StandIns {
  /** The folder holding az, func, scenario.json and calls.log; put it on PATH and in STANDIN_DIR. */
  dir: string;
  /** Every call so far: "<tool> <args>" and the working directory. */
  calls(): Array<{ command: string; cwd: string }>;
  /** The Bicep CLI's calls (`bicep ...`, `az bicep ...`), kept apart: they are local, not Azure calls. */
  bicepCalls(): string[];
}

export function standIns(scenario: Scenario = {}): StandIns {
  const dir = mkdtempSync(join(tmpdir(), 'deploy-standins-'));
  for (const tool of scenario.bicep === 'path' ? ['az', 'func', 'bicep'] : ['az', 'func']) {
    writeFileSync(join(dir, tool), `#!/bin/sh\nexec "${process.execPath}" "${FIXTURE}" ${tool} "$@"\n`);
    chmodSync(join(dir, tool), 0o755);
  }
  writeFileSync(join(dir, 'scenario.json'), JSON.stringify(scenario));
  return {
    dir,
    bicepCalls: () => {
      const log = join(dir, 'bicep.log');
      return existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .map((l) => l.split(' ||| ')[0])
        : [];
    },
    calls: () => {
      const log = join(dir, 'calls.log');
      if (!existsSync(log)) return [];
      return readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => {
          const [command, cwd] = l.split(' ||| ');
          return { command, cwd };
        });
    },
  };
}
