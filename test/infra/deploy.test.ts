// npm run deploy, run as a child process: the dry run prints every command with the values filled in, reports the
// package size, runs no az/func command, and stages a package with nothing but the app and its production
// dependencies. A real run is exercised with stand-in az/func executables on the PATH (they record their
// arguments; nothing reaches Azure), and bad input fails with a clear message before anything runs.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defaultAppName } from '../../scripts/deploy/args.ts';
import { redactForDisplay } from '../../scripts/deploy.ts';
import { walk } from '../../scripts/deploy/package.ts';
import type { StandIns } from './standin-tools.ts';
import { DEPLOY_ARGS, ISSUER, runDeploy, standIns, SUBJECT, TOKEN_URL } from './standin-tools.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const temps: string[] = [];
after(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
};

/** Stand-in az and func (test/infra/fixtures/standin-tools.mjs) that log each call and answer like the real ones. */
function stubTools(): { bin: string; log: string; calls: StandIns['calls'] } {
  const s = standIns();
  temps.push(s.dir);
  return { bin: s.dir, log: join(s.dir, 'calls.log'), calls: s.calls };
}

// process.execPath is the project's Node 22; PATH holds no az, no func (or only the stand-ins).
const deploy = (args: string[], path: string) => runDeploy(args, path);

describe('npm run deploy', () => {
  test('--dry-run prints every command filled in, the package size, and runs no az or func', () => {
    const { bin, log } = stubTools();
    const staging = join(temp('deploy-stage-'), 'package');
    const r = deploy(['--dry-run', ...DEPLOY_ARGS, '--staging-dir', staging], bin);
    assert.equal(r.status, 0, r.stderr);
    const outText = r.stdout;
    assert.equal(
      existsSync(log),
      false,
      `the dry run called az or func:\n${existsSync(log) ? readFileSync(log, 'utf8') : ''}`,
    );

    const app = defaultAppName('rg-probes-test', 'ci1');
    assert.match(app, /^func-ci1-[0-9a-f]{8}$/);
    assert.match(outText, /DRY RUN/);
    assert.ok(
      outText.includes(
        `no drift: ${JSON.parse(readFileSync(join(ROOT, 'infra', 'identity-wiring.json'), 'utf8')).roleAssignments.length} role assignments`,
      ),
      outText,
    );
    assert.match(outText, /\$ az account show --output json/);
    assert.match(outText, /\$ func --version/);
    assert.ok(
      outText.includes(
        '$ az group create --name rg-probes-test --location swedencentral --tags identity-probes-env=ci1 --output none',
      ),
      outText,
    );
    assert.ok(
      outText.includes(
        `$ az deployment group create --resource-group rg-probes-test --name identity-probes-ci1 --template-file infra/main.bicep --parameters @infra/main.parameters.json --parameters environmentName=ci1 location=swedencentral functionAppName=${app} federatedIssuer=${ISSUER} federatedSubject=${SUBJECT} federatedTokenUrl=${TOKEN_URL} --query properties.outputs --output json`,
      ),
      outText,
    );
    assert.ok(
      outText.includes(
        `$ func azure functionapp publish ${app} --javascript --no-build\n      (in ${staging})`,
      ),
      outText,
    );
    // The soft-deleted vault check, the wait for the deployment identity's role, the bounded publish retry.
    assert.ok(outText.includes('$ az keyvault list-deleted --resource-type vault --output json'), outText);
    assert.match(
      outText,
      /\$ az keyvault recover --name '<its name, kv-\.\.\.>' --resource-group rg-probes-test --location swedencentral --output none {3}\(only if one is found\)/,
    );
    assert.match(outText, /polls every 10 s for at most 5 min until the assignment is listed/);
    assert.match(
      outText,
      /\$ az role assignment list --assignee-object-id '<deploymentStorage\.principalId>' --scope '\/subscriptions\/<subscription>\/resourceGroups\/rg-probes-test\/providers\/Microsoft\.Storage\/storageAccounts\/<host storage account>\/blobServices\/default\/containers\/app-package' --role ba92f5b4-2d11-453d-a403-e96b0029c9fe /,
    );
    assert.match(
      outText,
      /at most 6 attempts; after a 403 \/ "Failed to upload blob package" from the package upload it waits 10 s, 20 s, 40 s, 1 min 20 s, 2 min \(4 min 30 s in all\)/,
    );
    assert.match(
      outText,
      /Flex Consumption: \d+ site properties and app settings read, none on the not-supported list/,
    );
    assert.ok(outText.includes(`status: https://${app}.azurewebsites.net/api/status`), outText);
    assert.ok(
      outText.includes(
        `$ az functionapp keys list --resource-group rg-probes-test --name ${app} --query functionKeys.default --output tsv`,
      ),
      outText,
    );

    // The size it printed is the size of what it staged.
    const m = /package: (\d+) files, (\d+) bytes \(([\d.]+) MiB\)/.exec(outText);
    assert.ok(m, outText);
    const files = [...walk(staging)];
    assert.equal(Number(m[1]), files.length);
    assert.equal(
      Number(m[2]),
      files.reduce((s, f) => s + statSync(f).size, 0),
    );
    assert.equal(m[3], (Number(m[2]) / 1024 / 1024).toFixed(2));
    assert.match(outText, /largest files: dist\/app\/\S+\.js /);
    assert.match(outText, /imports left to the Functions worker: @azure\/functions-core/);
    // The bundle is the whole app: well under the 8 MiB the package was allowed (docs/cold-start.md).
    assert.ok(Number(m[2]) <= 8 * 1024 * 1024, `package ${m[3]} MiB`);

    // Only the bundled app, the default declaration, host.json and package.json: no node_modules, every library is
    // in the bundle.
    assert.deepEqual(readdirSync(staging).sort(), ['declarations', 'dist', 'host.json', 'package.json']);
    const rel = files.map((f) => relative(staging, f).split(sep).join('/'));
    assert.ok(rel.includes('dist/app/index.js'));
    assert.ok(rel.includes('dist/app/main.js'));
    assert.ok(rel.includes('dist/app/client/main.js'), 'the status page script');
    // The declaration the app reads by default (PROBES_DECLARATION) and every other one in declarations/, byte for
    // byte the repository's, at the same path.
    const declared = rel.filter((f) => f.startsWith('declarations/'));
    assert.ok(declared.includes('declarations/default.json'), 'the default declaration');
    assert.deepEqual(
      declared,
      readdirSync(join(ROOT, 'declarations'))
        .filter((f) => f.endsWith('.json'))
        .map((f) => `declarations/${f}`)
        .sort(),
    );
    for (const f of declared)
      assert.equal(readFileSync(join(staging, f), 'utf8'), readFileSync(join(ROOT, f), 'utf8'), f);
    for (const f of rel) {
      assert.doesNotMatch(f, /^(src|sandbox|devhost|test|bench|scripts|infra|docs|\.sandbox|\.devhost)\//, f);
      if (f.startsWith('dist/')) assert.match(f, /^dist\/app\/.*\.js(\.map)?$/, f);
    }
    assert.equal(existsSync(join(staging, 'node_modules')), false);
    const pkg = JSON.parse(readFileSync(join(staging, 'package.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(pkg.devDependencies, undefined);
    assert.equal(pkg.dependencies, undefined);
    assert.equal(pkg.scripts, undefined);
    assert.equal(pkg.main, 'dist/app/index.js');
    assert.equal(pkg.type, 'module');
  });

  test('a real run checks the tools, deploys, publishes from the staging folder and prints the status URL', () => {
    const { bin, calls } = stubTools();
    const staging = join(temp('deploy-stage-'), 'package');
    const r = deploy([...DEPLOY_ARGS, '--subscription', 'probes-sub', '--staging-dir', staging], bin);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const commands = calls().map((c) => c.command);
    assert.deepEqual(
      commands.map((c) => c.split(' ').slice(0, 4).join(' ')),
      [
        'az version --output json',
        'az account show --subscription',
        'func --version',
        'az group create --name',
        'az keyvault list-deleted --resource-type',
        'az deployment group show',
        'az deployment group create',
        'az role assignment list',
        'func azure functionapp publish',
        'az rest --method get',
        'az monitor metrics alert',
      ],
    );
    // A new environment (no earlier deployment): the alert rule starts off and is enabled once health is ok.
    assert.match(commands[6], / alertsEnabled=false --subscription probes-sub /);
    assert.equal(
      commands[9],
      'az rest --method get --url https://func-from-output.azurewebsites.net/api/health --skip-authorization-header --output json',
    );
    assert.equal(
      commands[10],
      'az monitor metrics alert update --resource-group rg-probes-test --name alert-probes-ci1-abc --enabled true --subscription probes-sub --output none',
    );
    assert.match(r.stdout, /alert rule alert-probes-ci1-abc enabled after the first all-green sweep/);
    assert.match(
      commands[6],
      /--resource-group rg-probes-test .*federatedSubject=system:serviceaccount:probes:identity-probes .*--subscription probes-sub --query properties.outputs --output json$/,
    );
    assert.match(commands[4], /--subscription probes-sub --output json$/);
    assert.match(commands[7], /--subscription probes-sub --output json$/);
    // The app name comes from the deployment output, and func runs in the staging folder.
    assert.equal(
      commands[8],
      'func azure functionapp publish func-from-output --javascript --no-build --subscription probes-sub',
    );
    assert.equal(calls()[8].cwd, staging);
    assert.match(r.stdout, /subscription probes-sub \(fede0978-e421-4650-9304-746eefba010e\)/);
    assert.match(r.stdout, /status: https:\/\/func-from-output\.azurewebsites\.net\/api\/status\n/);
  });

  test('a real run without az on the PATH stops before changing anything', () => {
    const empty = temp('deploy-empty-bin-');
    const r = deploy(DEPLOY_ARGS, empty);
    assert.equal(r.status, 1);
    // Step 1 needs a Bicep CLI (az bicep, or a bicep of its own): none here.
    assert.match(r.stderr, /no Bicep CLI found/);
    assert.doesNotMatch(r.stdout, /Package: staged/);
  });

  test('bad input fails with a clear message and exit code 2', () => {
    const empty = temp('deploy-empty-bin-');
    const cases: Array<[string[], RegExp]> = [
      [['--dry-run', '--federated-subject', SUBJECT], /--federated-issuer is required/],
      [
        ['--dry-run', '--federated-issuer', 'http://insecure.example.com', '--federated-subject', SUBJECT],
        /must be an https:\/\/ URL/,
      ],
      [['--dry-run', '--federated-issuer', ISSUER, '--federated-subject', `${SUBJECT} `], /whitespace/],
      [['--dry-run', ...DEPLOY_ARGS, '--name-prefix', 'Bad_Name'], /--name-prefix|same option/],
      [
        ['--dry-run', ...DEPLOY_ARGS, '--federated-token-file', '/var/token'],
        /one of --federated-token-url and --federated-token-file/,
      ],
      [['--dry-run', '--no-such-option'], /Unknown option '--no-such-option'/],
    ];
    for (const [args, re] of cases) {
      const r = deploy(args, empty);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.match(r.stderr, /Usage: npm run deploy/);
    }
  });

  test('a non-empty staging folder is refused', () => {
    const staging = temp('deploy-stage-');
    mkdirSync(join(staging, 'leftover'));
    const r = deploy(['--dry-run', ...DEPLOY_ARGS, '--staging-dir', staging], temp('deploy-empty-bin-'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /is not empty/);
  });

  test('.funcignore keeps a direct publish from the repository to the bundle: no dev-only parts, no node_modules', () => {
    const lines = readFileSync(join(ROOT, '.funcignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of [
      'src/',
      'sandbox/',
      'devhost/',
      'test/',
      'bench/',
      'scripts/',
      'infra/',
      '.sandbox/',
      'local.settings.json',
      'node_modules/',
      'dist/src/',
      'dist/common/',
    ]) {
      assert.ok(lines.includes(entry), `.funcignore lacks ${entry}`);
    }
    // The bundle's source maps ship: stack traces name our files.
    assert.ok(
      !lines.some((l) => /^\*?\.?(js\.)?map$|^\*\.js\.map$|^dist\/app/.test(l)),
      'the bundle is kept',
    );
  });

  test('host.json: version 2.0, extension bundle [4.*, 5.0.0), routePrefix api', () => {
    const host = JSON.parse(readFileSync(join(ROOT, 'host.json'), 'utf8')) as {
      version: string;
      extensionBundle: { id: string; version: string };
      extensions: { http: { routePrefix: string } };
    };
    assert.equal(host.version, '2.0');
    assert.deepEqual(host.extensionBundle, {
      id: 'Microsoft.Azure.Functions.ExtensionBundle',
      version: '[4.*, 5.0.0)',
    });
    assert.equal(host.extensions.http.routePrefix, 'api');
  });

  test('URL query values in printed commands are redacted (a token URL may carry a code or a signature)', () => {
    assert.equal(
      redactForDisplay('federatedTokenUrl=https://broker.example/token?code=s3cr3t&aud=x'),
      'federatedTokenUrl=https://broker.example/token?code=[REDACTED]&aud=[REDACTED]',
    );
    assert.equal(redactForDisplay(`federatedTokenUrl=${TOKEN_URL}`), `federatedTokenUrl=${TOKEN_URL}`);
    assert.equal(redactForDisplay('rg-probes-test'), 'rg-probes-test');
  });
});
