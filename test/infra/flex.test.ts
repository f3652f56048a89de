// Flex Consumption rejects some site properties (ARM error 51021 for siteConfig.ftpsState) and deprecates a list of
// site properties and app settings (docs/flex-consumption.md, from Microsoft's "Flex Consumption plan deprecations"
// table). This reads every property and app setting the Bicep sets on a site and holds it against that list.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FlexReport } from '../../scripts/deploy/flex.ts';
import {
  FLEX_DEPRECATIONS_URL,
  FLEX_UNSUPPORTED,
  checkFlexProperties,
  readSites,
} from '../../scripts/deploy/flex.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function read(source: string): FlexReport {
  const report: FlexReport = { read: [], problems: [] };
  readSites('t.bicep', source, report);
  return report;
}

describe(
  'Flex Consumption: no unsupported site property or app setting in infra/',
  { timeout: 30_000 },
  () => {
    test('every site property, siteConfig entry and app setting the Bicep sets is allowed on Flex', () => {
      const report = checkFlexProperties(ROOT);
      // The reader found the site and its settings (so an empty problem list means something).
      const paths = report.read.map((p) => `${p.file} ${p.resource} ${p.path}`);
      for (const want of [
        'infra/modules/function-app.bicep functionApp properties.serverFarmId',
        'infra/modules/function-app.bicep functionApp properties.httpsOnly',
        'infra/modules/function-app.bicep functionApp properties.siteConfig',
        'infra/modules/function-app.bicep functionApp properties.siteConfig.minTlsVersion',
        'infra/modules/function-app.bicep functionApp properties.functionAppConfig',
        'infra/modules/function-app.bicep appSettings appsettings.AzureWebJobsStorage__credential',
        'infra/modules/function-app.bicep appSettings appsettings.KEY_VAULT_URL',
        'infra/modules/function-app.bicep appSettings appsettings.FEDERATED_TOKEN_URL',
        'infra/modules/function-app.bicep appSettings appsettings.STATUS_CLIENT_ID',
      ])
        assert.ok(paths.includes(want), `the reader did not see ${want}; it saw:\n${paths.join('\n')}`);
      assert.deepEqual(report.problems, [], `\n${report.problems.join('\n')}`);
    });

    test('finds each listed property wherever a site sets it: properties, siteConfig, config web, any case', () => {
      const r = read(`
var cfg = {
  linuxFxVersion: 'Node|22'
}
resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: 'x'
  properties: {
    reserved: true
    vnetRouteAllEnabled: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled' // ARM 51021
      functionAppScaleLimit: 100
      appSettings: [
        { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'node' }
        { name: 'OK_SETTING', value: '\${x}' }
      ]
    }
  }
}
resource web 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'web'
  properties: cfg
}
resource slot 'Microsoft.Web/sites/slots@2024-04-01' = {
  name: 's'
  properties: {
    siteConfig: {
      AlwaysOn: true
    }
  }
}
resource other 'Microsoft.Web/sites@2024-04-01' existing = {
  name: 'y'
}
`);
      const hits = r.problems.map((p) => /sets (\S+):/.exec(p)?.[1]);
      assert.deepEqual(hits, [
        'properties.reserved',
        'properties.vnetRouteAllEnabled',
        'properties.siteConfig.ftpsState',
        'properties.siteConfig.functionAppScaleLimit',
        'properties.siteConfig.appSettings.FUNCTIONS_WORKER_RUNTIME',
        'properties.linuxFxVersion',
        'properties.siteConfig.AlwaysOn',
      ]);
      assert.match(
        r.problems[2],
        /^t\.bicep:12: app sets properties\.siteConfig\.ftpsState: .*FTPS not supported/,
      );
      assert.ok(r.problems.every((p) => p.includes(FLEX_DEPRECATIONS_URL)));
    });

    test('app settings are read through union(), ternaries and object vars; strings with ${} do not confuse it', () => {
      const r = read(`
param file string
var a = {
  GOOD: 'https://\${file}/{x}'
  WEBSITE_RUN_FROM_PACKAGE: '1'
}
var b = empty(file) ? {} : { WEBSITE_CONTENTSHARE: file }
resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: 'x'
  properties: {}
}
resource s 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: union(a, b, { 'FUNCTIONS_EXTENSION_VERSION': '~4' })
}
`);
      assert.deepEqual(
        r.read.filter((p) => p.kind === 'app setting').map((p) => p.name),
        ['FUNCTIONS_EXTENSION_VERSION', 'GOOD', 'WEBSITE_RUN_FROM_PACKAGE', 'WEBSITE_CONTENTSHARE'],
      );
      assert.equal(r.problems.length, 3, r.problems.join('\n'));
    });

    test('a siteConfig it cannot read is a problem, not a pass', () => {
      const r = read(`
resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: 'x'
  properties: {
    siteConfig: union(base, { minTlsVersion: '1.2' })
  }
}
`);
      assert.equal(r.problems.length, 1);
      assert.match(r.problems[0], /cannot read siteConfig 'union\(base, \{ minTlsVersion: '1\.2' \}\)'/);
    });

    test('docs/flex-consumption.md lists exactly the entries the check holds, with the public source', () => {
      const doc = readFileSync(join(ROOT, 'docs', 'flex-consumption.md'), 'utf8');
      assert.ok(doc.includes(FLEX_DEPRECATIONS_URL));
      const rows = [...doc.matchAll(/^\| `([^`]+)`\s*\| (site property|app setting)\s*\|/gm)].map(
        (m) => `${m[2]} ${m[1]}`,
      );
      assert.deepEqual(
        rows,
        FLEX_UNSUPPORTED.map((r) => `${r.kind} ${r.name}`),
      );
    });
  },
);
