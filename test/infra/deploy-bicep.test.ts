// Step 1 of `npm run deploy` and `npm run infra:check`: compile and lint infra/main.bicep with the operator's Bicep
// CLI (stand-ins on the PATH, test/infra/fixtures/standin-tools.mjs: `az bicep`, or a `bicep` of its own), warnings
// counted as errors, and the parameters file checked against the template. A failing build, a lint warning or a
// missing Bicep stops the deploy before its first Azure call (calls.log stays empty; the Bicep CLI's own calls are
// logged apart, in bicep.log).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BicepError, checkParametersFile, diagnostics } from '../../scripts/deploy/bicep.ts';
import type { Scenario, StandIns } from './standin-tools.ts';
import { DEPLOY_ARGS, runDeploy, standIns } from './standin-tools.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const made: StandIns[] = [];
const temps: string[] = [];
after(() => {
  for (const d of [...made.map((s) => s.dir), ...temps]) rmSync(d, { recursive: true, force: true });
});

function deploy(scenario: Scenario, extra: string[] = []) {
  const s = standIns(scenario);
  made.push(s);
  const staging = join(mkdtempSync(join(tmpdir(), 'deploy-bicep-stage-')), 'package');
  temps.push(dirname(staging));
  const r = runDeploy([...DEPLOY_ARGS, '--staging-dir', staging, '--reuse-dist', ...extra], s.dir);
  return { ...r, azure: s.calls().map((c) => c.command), bicep: s.bicepCalls() };
}

describe('compile and lint before anything changes', { timeout: 300_000 }, () => {
  test('the dry run shows the step: the Bicep it would use, the build and lint commands, the parameters check', () => {
    const r = deploy({}, ['--dry-run']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /^1\. Compile and lint infra\/main\.bicep \(infra\/bicepconfig\.json: the default rules, warnings are errors\)/m,
    );
    assert.match(r.stdout, /here the Azure CLI \(az bicep\)/);
    assert.ok(r.stdout.includes('  $ az bicep build --file infra/main.bicep --stdout\n'), r.stdout);
    assert.ok(r.stdout.includes('  $ az bicep lint --file infra/main.bicep\n'), r.stdout);
    assert.match(
      r.stdout,
      /infra\/main\.parameters\.json: 7 parameters, each declared by infra\/main\.bicep/,
    );
    assert.deepEqual(r.bicep, [], 'the dry run ran the Bicep CLI');
    assert.deepEqual(r.azure, [], 'the dry run called Azure');
  });

  test('a clean build and lint (az bicep) lets the deploy go on', () => {
    const r = deploy({});
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.deepEqual(r.bicep, [
      'az bicep version',
      'az bicep build --file infra/main.bicep --stdout',
      'az bicep lint --file infra/main.bicep',
    ]);
    assert.match(
      r.stdout,
      /Bicep: Bicep CLI version 0\.36\.177 \(2b2e5b0d31\), from the Azure CLI \(az bicep\)/,
    );
    assert.match(
      r.stdout,
      /compiled \(\d+ bytes of ARM JSON\) and linted with no warning; infra\/main\.parameters\.json: 7 parameters/,
    );
    assert.equal(r.azure[0], 'az version --output json', 'the Azure calls start after the step');
  });

  test('a bicep on the PATH is preferred to az bicep', () => {
    const r = deploy({ bicep: 'path' });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.deepEqual(r.bicep, [
      'bicep --version',
      'bicep build infra/main.bicep --stdout',
      'bicep lint infra/main.bicep',
    ]);
  });

  test('a failing build stops the deploy before any Azure call', () => {
    const r = deploy({ bicepBuildError: true });
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /infra\/main\.bicep does not compile \(exit 1\):\n.*Error BCP057: The name "environmentNme" does not exist/,
    );
    assert.deepEqual(r.azure, []);
    assert.doesNotMatch(r.stdout, /^2\. Prerequisites/m);
  });

  test('a lint warning stops the deploy before any Azure call (warnings are errors)', () => {
    const r = deploy({ bicepLintWarning: true });
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /the linter \(infra\/bicepconfig\.json, warnings are errors\) found 1 problem\(s\) in infra\/main\.bicep:\n.*Warning no-unused-params/,
    );
    assert.deepEqual(r.azure, []);
  });

  test('no Bicep CLI: it says so and how to get one, and stops before any Azure call', () => {
    const r = deploy({ bicep: 'none' });
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /no Bicep CLI found: install it with `az bicep install`.*or put `bicep` on the PATH.*or set BICEP_PATH/,
    );
    assert.deepEqual(r.azure, []);
  });

  test('npm run infra:check runs the same step on its own', () => {
    const run = (scenario: Scenario) => {
      const s = standIns(scenario);
      made.push(s);
      return spawnSync(process.execPath, [join(ROOT, 'scripts', 'infra-check.ts')], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { PATH: s.dir, HOME: process.env.HOME ?? tmpdir(), STANDIN_DIR: s.dir },
        timeout: 60_000,
      });
    };
    const ok = run({});
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(
      ok.stdout,
      /ok: compiled \(\d+ bytes of ARM JSON\), linted with no warning; 7 parameters checked/,
    );
    const warned = run({ bicepLintWarning: true });
    assert.equal(warned.status, 1);
    assert.match(warned.stderr, /no-unused-params/);
  });

  test('the parameters file is checked against the template: declared, typed, within @allowed and bounds', () => {
    const root = mkdtempSync(join(tmpdir(), 'deploy-params-'));
    temps.push(root);
    mkdirSync(join(root, 'infra'));
    cpSync(join(ROOT, 'infra', 'main.bicep'), join(root, 'infra', 'main.bicep'));
    const write = (parameters: Record<string, unknown>) =>
      writeFileSync(
        join(root, 'infra', 'main.parameters.json'),
        JSON.stringify({
          parameters: Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, { value: v }])),
        }),
      );
    write({ environmentName: 'probes', instanceMemoryMB: 2048, alertWindowSize: 'PT15M' });
    assert.deepEqual(checkParametersFile(root), ['environmentName', 'instanceMemoryMB', 'alertWindowSize']);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ environmentNam: 'probes' }, /environmentNam: not a parameter/],
      [{ instanceMemoryMB: 1024 }, /instanceMemoryMB: 1024 is not one of \[512, 2048, 4096\]/],
      [{ alertWindowSize: 'PT1M' }, /alertWindowSize: "PT1M" is not one of/],
      [{ probeTimeoutMs: 50 }, /probeTimeoutMs: 50 breaks @minValue\(100\)/],
      [{ environmentName: 'x'.repeat(21) }, /environmentName: "x{21}" breaks @maxLength\(20\)/],
      [{ statusCacheMs: '5000' }, /statusCacheMs: "5000" is not a int/],
    ];
    for (const [params, re] of cases) {
      write(params);
      assert.throws(
        () => checkParametersFile(root),
        (err: Error) => err instanceof BicepError && re.test(err.message),
      );
    }
  });

  test("Bicep's diagnostics are read from its default output format", () => {
    const d = diagnostics(
      [
        '/x/main.bicep(3,7) : Warning no-unused-vars: Variable "a" is declared but never used. [https://aka.ms/bicep/linter/no-unused-vars]',
        'Build succeeded.',
        '/x/main.bicep(9,1) : Error BCP018: Expected the "}" character at this location.',
      ].join('\n'),
    );
    assert.deepEqual(
      d.map((x) => x.level),
      ['Warning', 'Error'],
    );
  });
});
