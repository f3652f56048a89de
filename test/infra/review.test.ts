// The findings of the template review (issue "Deploy, break, fix, redeploy"), each checked on the Bicep text with
// the project's Bicep reader (no Bicep compiler can be installed here; scripts/deploy/bicep.ts compiles and lints
// where one is). Each test failed before the template was changed and passes after.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { objectEntries, parseBicep, squash, type BicepDeclaration } from '../../scripts/deploy/bicep-text.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const source = (f: string) => readFileSync(join(ROOT, 'infra', f), 'utf8');
const decls = (f: string) => parseBicep(source(f));
const find = (f: string, kind: BicepDeclaration['kind'], name: string) => {
  const d = decls(f).find((x) => x.kind === kind && x.name === name);
  assert.ok(d, `${f}: no ${kind} ${name}`);
  return d;
};

/** The decorators written on the lines right above a declaration (one decorator per line). */
function decorators(f: string, d: BicepDeclaration): string[] {
  const lines = source(f).split('\n');
  const out: string[] = [];
  for (let i = d.line - 2; i >= 0 && lines[i].trim().startsWith('@'); i--) out.unshift(lines[i].trim());
  return out;
}

/** The values of an @allowed([...]) decorator. */
function allowed(f: string, d: BicepDeclaration): string[] | undefined {
  const a = decorators(f, d).find((x) => x.startsWith('@allowed('));
  return a === undefined ? undefined : [...a.matchAll(/'([^']*)'/g)].map((m) => m[1]);
}

/** What metric alerts accept as windowSize (Microsoft.Insights/metricAlerts, 2018-03-01). */
const METRIC_ALERT_WINDOWS = ['PT1M', 'PT5M', 'PT15M', 'PT30M', 'PT1H', 'PT6H', 'PT12H', 'PT24H', 'P1D'];

describe('template review findings', () => {
  it('host storage: AzureWebJobsStorage__accountName next to the blob endpoint (functions-host#11787)', () => {
    const settings = squash(find('modules/function-app.bicep', 'var', 'hostSettings').value);
    assert.match(settings, /AzureWebJobsStorage__accountName: hostStorage\.name/);
    // Identity-based host storage with a user-assigned identity: credential AND clientId (functions-host#10904).
    assert.match(settings, /AzureWebJobsStorage__credential: 'managedidentity'/);
    assert.match(settings, /AzureWebJobsStorage__clientId: identities\.host\.clientId/);
    assert.match(settings, /AzureWebJobsStorage__blobServiceUri: /);
  });

  it('alertWindowSize: only windows metric alerts accept, none shorter than a minute of probes', () => {
    // The module takes main.bicep's computed window, so only main.bicep's parameter carries the list.
    for (const [f, name] of [['main.bicep', 'alertWindowSize']] as const) {
      const values = allowed(f, find(f, 'param', name));
      assert.ok(values, `${f}: ${name} has no @allowed`);
      for (const v of values)
        assert.ok(METRIC_ALERT_WINDOWS.includes(v), `${f}: ${v} is not a metric alert window`);
      assert.ok(!values.includes('PT1M'), `${f}: PT1M is shorter than any probe period the template allows`);
    }
  });

  it('the alert window is never shorter than the probe period (computed from probeSchedule)', () => {
    assert.equal(
      squash(find('main.bicep', 'var', 'scheduleFields').value),
      "split(trim(probeSchedule), ' ')",
    );
    const period = squash(find('main.bicep', 'var', 'probePeriodMinutes').value);
    // '*/N' in the minute field: N minutes; '*/H' in the hour field: H hours.
    assert.match(
      period,
      /startsWith\(scheduleFields\[1\], '\*\/'\) \? int\(substring\(scheduleFields\[1\], 2\)\)/,
    );
    assert.match(period, /60 \* int\(substring\(scheduleFields\[2\], 2\)\)/);
    const window = squash(find('main.bicep', 'var', 'alertWindow').value);
    // The requested window when it covers a period, else the shortest accepted one that does.
    assert.match(window, /alertWindowMinutes\[alertWindowSize\] >= probePeriodMinutes \? alertWindowSize/);
    assert.match(
      window,
      /filter\(\['PT5M', 'PT15M', 'PT30M', 'PT1H', 'PT6H'\], w => alertWindowMinutes\[w\] >= probePeriodMinutes\)/,
    );
    // The same list as the parameter's @allowed, and the same minutes.
    assert.deepEqual(
      allowed('main.bicep', find('main.bicep', 'param', 'alertWindowSize')),
      objectEntries(find('main.bicep', 'var', 'alertWindowMinutes').value.slice(1)).map((e) => e.key),
    );
    const mod = squash(find('main.bicep', 'module', 'alerts').value);
    assert.match(mod, /windowSize: alertWindow\b/);
  });

  it('name rules are enforced in the template, where a direct az deployment group create sees them', () => {
    const env = find('main.bicep', 'param', 'environmentName');
    assert.deepEqual(
      decorators('main.bicep', env).filter((d) => /^@(min|max)Length/.test(d)),
      ['@minLength(2)', '@maxLength(20)'],
    );
    const app = find('main.bicep', 'param', 'functionAppName');
    assert.ok(decorators('main.bicep', app).includes('@maxLength(60)'));
    // Characters: Bicep has no @pattern; the template fails the deployment with the rule in the message.
    const checked = squash(find('main.bicep', 'var', 'envName').value);
    assert.match(checked, /fail\('environmentName /);
    const appName = squash(find('main.bicep', 'var', 'appName').value);
    assert.match(appName, /fail\('functionAppName /);
    // Every name is built from the checked value, not the raw parameter.
    const uses = source('main.bicep')
      .split('\n')
      .filter(
        (l) =>
          !/^\s*(\/\/|@|param |var envName)/.test(l) && /\$\{environmentName\}|environmentName\)/.test(l),
      );
    assert.deepEqual(uses, [], 'names built from the unchecked environmentName');
  });

  it('nested deployment names are unique per environment', () => {
    const modules = decls('main.bicep').filter((d) => d.kind === 'module');
    assert.ok(modules.length >= 8);
    for (const m of modules) {
      const name = objectEntries(m.value.slice(m.value.indexOf('{') + 1)).find(
        (e) => e.key === 'name',
      )?.value;
      assert.match(name ?? '', /^'[a-z-]+-\$\{envName\}'$/, `module ${m.name}: name ${name}`);
    }
  });

  it('a fresh deployment sends no alert e-mail while its roles propagate: the alert is enabled by a parameter', () => {
    const p = find('main.bicep', 'param', 'alertsEnabled');
    assert.equal(p.type, 'bool');
    assert.equal(p.value, 'true', 'a direct template deployment keeps the alert on');
    assert.match(squash(find('main.bicep', 'module', 'alerts').value), /enabled: alertsEnabled/);
    const alert = squash(find('modules/alerts.bicep', 'resource', 'availabilityAlert').value);
    assert.match(alert, /enabled: enabled/);
  });

  it('federatedTokenUrl and federatedTokenFile are mutually exclusive at deployment time', () => {
    const v = squash(find('main.bicep', 'var', 'federatedTokenSource').value);
    assert.match(v, /!empty\(federatedTokenUrl\) && !empty\(federatedTokenFile\) \? fail\('/);
    const mod = squash(find('main.bicep', 'module', 'functionApp').value);
    assert.match(mod, /federatedTokenUrl: federatedTokenSource\.url/);
    assert.match(mod, /federatedTokenFile: federatedTokenSource\.file/);
  });
});
