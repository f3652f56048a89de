// The alert resources (infra/modules/alerts.bicep) read with the project's Bicep reader: an action group with an
// optional e-mail receiver, and one metric alert on the availability results that fires per failing path x target
// (split by test name) and resolves by itself; main.bicep feeds it every path of the wiring times the targets.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseBicep, squash } from '../../scripts/deploy/bicep-text.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (f: string) => parseBicep(readFileSync(join(ROOT, 'infra', f), 'utf8'));

test('alerts.bicep: an action group with an optional e-mail receiver', () => {
  const decls = read('modules/alerts.bicep');
  const email = decls.find((d) => d.kind === 'param' && d.name === 'alertEmail');
  assert.equal(email?.value, "''", 'the e-mail is optional');
  const group = decls.find((d) => d.kind === 'resource' && d.name === 'actionGroup');
  assert.match(group!.type, /^Microsoft\.Insights\/actionGroups@/);
  const body = squash(group!.value);
  assert.match(body, /emailReceivers: empty\(alertEmail\) \? \[\] : \[/);
  assert.match(body, /emailAddress: alertEmail/);
});

test('alerts.bicep: a metric alert per failing test name that resolves on recovery', () => {
  const decls = read('modules/alerts.bicep');
  const alert = decls.find((d) => d.kind === 'resource' && d.name === 'availabilityAlert');
  assert.match(alert!.type, /^Microsoft\.Insights\/metricAlerts@/);
  const body = squash(alert!.value);
  assert.match(body, /scopes: \[ appInsights\.id \]/);
  assert.match(body, /metricName: 'availabilityResults\/availabilityPercentage'/);
  // Every test name, current and future: the alert follows the declaration (a blob can change it without a deploy).
  assert.match(body, /name: 'availabilityResult\/name' operator: 'Include' values: \[ '\*' \]/);
  assert.match(body, /operator: 'LessThan' threshold: 100/);
  assert.match(body, /autoMitigate: true/);
  assert.match(body, /actionGroupId: actionGroup\.id/);
});

test('main.bicep: the alert module lists no test names (the declaration decides them)', () => {
  const decls = read('main.bicep');
  const mod = decls.find((d) => d.kind === 'module' && d.name === 'alerts');
  assert.doesNotMatch(squash(mod!.value), /testNames/);
  assert.match(squash(mod!.value), /alertEmail: alertEmail/);
  assert.ok(!decls.some((d) => d.kind === 'param' && d.name === 'testNames'));
  assert.ok(
    !read('modules/alerts.bicep').some((d) => d.kind === 'param' && d.name === 'testNames'),
    'alerts.bicep takes no list of names',
  );
});
