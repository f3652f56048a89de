// The files generated from the catalog (common/catalog.ts) are exactly what it generates: editing one by hand, or
// the catalog without running `npm run catalog`, fails here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  IDENTITIES,
  identityOfPath,
  PATH_IDS,
  ROLES,
  SETTINGS,
  TARGET_IDS,
  TARGETS,
} from '../../common/catalog.ts';
import { SETTING_NAMES } from '../../src/config.ts';
import { TARGETS as APP_TARGETS } from '../../src/targets/index.ts';
import { generated, wiring } from '../../scripts/catalog/generate.ts';
import { startQuietSandbox } from '../../support/sandbox.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('catalog', () => {
  test('every generated file matches the catalog', async () => {
    for (const [rel, text] of Object.entries(await generated(root)))
      assert.equal(readFileSync(join(root, rel), 'utf8'), text, `${rel} differs: run npm run catalog`);
  });

  test('every path is served by exactly one identity, and that identity gets every target role', () => {
    const w = wiring();
    for (const path of PATH_IDS) {
      const key = identityOfPath(path);
      assert.equal(
        Object.values(IDENTITIES).filter((i) => (i.paths as readonly string[]).includes(path)).length,
        1,
      );
      for (const t of TARGET_IDS)
        assert.ok(
          w.roleAssignments.some(
            (a) => a.identity === key && a.role === TARGETS[t].role && a.scope === TARGETS[t].scope,
          ),
          `${key} lacks ${TARGETS[t].role} for ${path} -> ${t}`,
        );
    }
    for (const a of w.roleAssignments) assert.ok(a.role in ROLES, a.role);
  });

  test('the host storage setting carries the client ID of the identity that holds the hostStorage role', () => {
    const w = wiring();
    const holder = w.roleAssignments.find((a) => a.scope === 'hostStorage')!.identity;
    const settings = (w.identities as Record<string, { settings?: Record<string, readonly string[]> }>)[
      holder
    ].settings;
    assert.ok(settings?.clientId?.includes('AzureWebJobsStorage__clientId'), holder);
  });

  test("the sandbox serves one host-plane assignment: the host identity's telemetry role", () => {
    const served = wiring().roleAssignments.filter((a) => a.sandbox === true);
    assert.deepEqual(
      served.map((a) => [a.identity, a.role, a.scope, a.plane]),
      [['host', 'Monitoring Metrics Publisher', 'appInsights', 'host']],
    );
  });

  test('the app reads the catalog: target roles, endpoint settings and the settings it validates', () => {
    for (const t of TARGET_IDS) {
      assert.equal(APP_TARGETS[t].role, TARGETS[t].role);
      assert.equal(APP_TARGETS[t].endpointSetting, TARGETS[t].endpointSetting);
    }
    const readByConfig = Object.entries(SETTINGS)
      .filter(([, s]) => s.group === 'app' || s.group === 'local')
      .map(([n]) => n);
    assert.deepEqual([...SETTING_NAMES].sort(), readByConfig.sort());
  });

  test('the sandbox sets exactly the settings the catalog says it sets', { timeout: 120_000 }, async () => {
    const sb = await startQuietSandbox();
    try {
      const set = Object.keys(sb.connection.appSettings);
      for (const [name, s] of Object.entries(SETTINGS)) {
        if (s.group !== 'app' && s.group !== 'local') continue;
        const sandboxSets = !['not set', 'default'].includes((s as { inSandbox?: string }).inSandbox ?? '');
        assert.equal(
          set.includes(name),
          sandboxSets,
          `${name}: the catalog says the sandbox ${sandboxSets ? 'sets' : 'does not set'} it`,
        );
      }
      const platform = [
        'IDENTITY_ENDPOINT',
        'IDENTITY_HEADER',
        'NODE_EXTRA_CA_CERTS',
        'WEBSITE_SITE_NAME',
        'WEBSITE_RESOURCE_GROUP',
        'REGION_NAME',
      ];
      for (const name of set)
        assert.ok(name in SETTINGS || platform.includes(name), `${name} is not in the catalog`);
    } finally {
      await sb.close();
    }
  });
});
