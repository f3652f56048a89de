// The one source of truth (infra/identity-wiring.json) against the Bicep, the sandbox's healthy world (resolved by
// the sandbox's own loader) and the settings files: no drift in the repository, and a change on one side only is
// reported, each case built as a mutated copy in a temporary folder.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { DriftReport, DriftSide } from '../../scripts/deploy/drift.ts';
import { checkDrift, formatDrift } from '../../scripts/deploy/drift.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const copies: string[] = [];
after(() => {
  for (const d of copies) rmSync(d, { recursive: true, force: true });
});

/** A copy of everything the drift check reads, to mutate. */
function copy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wiring-drift-'));
  copies.push(dir);
  cpSync(join(ROOT, 'infra'), join(dir, 'infra'), { recursive: true });
  cpSync(join(ROOT, 'sandbox', 'worlds'), join(dir, 'sandbox', 'worlds'), { recursive: true });
  cpSync(join(ROOT, 'local.settings.sample.json'), join(dir, 'local.settings.sample.json'));
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  if (existsSync(join(ROOT, 'docs', 'settings.md')))
    cpSync(join(ROOT, 'docs', 'settings.md'), join(dir, 'docs', 'settings.md'));
  return dir;
}

function edit(dir: string, file: string, change: (text: string) => string): void {
  const path = join(dir, file);
  const before = readFileSync(path, 'utf8');
  const after = change(before);
  assert.notEqual(after, before, `the mutation of ${file} changed nothing`);
  writeFileSync(path, after);
}

function editJson(dir: string, file: string, change: (json: Record<string, unknown>) => void): void {
  edit(dir, file, (text) => {
    const json = JSON.parse(text) as Record<string, unknown>;
    change(json);
    return JSON.stringify(json, null, 2);
  });
}

/** Asserts the report names `side` with a message matching every pattern. */
function assertDrift(report: DriftReport, side: DriftSide, ...patterns: RegExp[]): void {
  const hit = report.problems.find((p) => p.side === side && patterns.every((re) => re.test(p.message)));
  assert.ok(
    hit,
    `expected a ${side} problem matching ${patterns.join(' and ')}; got:\n${formatDrift(report) || '(no drift)'}`,
  );
}

describe('wiring drift', () => {
  test('the repository has no drift (the Bicep and the sandbox healthy world against the declaration)', () => {
    const report = checkDrift(ROOT);
    assert.equal(formatDrift(report), '');
    // Counted from the wiring, so a new target or scope changes no number here.
    const w = JSON.parse(readFileSync(join(ROOT, 'infra', 'identity-wiring.json'), 'utf8')) as {
      scopes: Record<string, string>;
      roleAssignments: Array<{ plane?: string; sandbox?: boolean }>;
    };
    assert.equal(report.checked.declaredAssignments, w.roleAssignments.length);
    assert.equal(report.checked.bicepAssignmentLoops, Object.keys(w.scopes).length); // one loop per scope key
    // the app plane + the host identity's telemetry role
    assert.equal(
      report.checked.sandboxAssignments,
      w.roleAssignments.filter((a) => !a.plane || a.sandbox).length,
    );
    assert.equal(report.checked.federatedCredentials, 1);
  });

  test('a faithful copy has no drift', () => {
    assert.equal(formatDrift(checkDrift(copy())), '');
  });

  describe('a role assignment changed on the Bicep side only', () => {
    test('the canary loop scoped to the status container', () => {
      const dir = copy();
      edit(dir, 'infra/modules/role-assignments.bicep', (t) =>
        t.replace('scope: canaryContainer\n', 'scope: statusContainer\n'),
      );
      const r = checkDrift(dir);
      assertDrift(
        r,
        'bicep',
        /canaryContainerAssignments/,
        /scope is statusContainer, expected canaryContainer/,
      );
      assertDrift(r, 'bicep', /scope 'canaryContainer' is used by 3 declared assignment\(s\) and has 0 loop/);
    });

    test('a role GUID written by hand instead of the declaration', () => {
      const dir = copy();
      edit(dir, 'infra/modules/role-assignments.bicep', (t) =>
        t.replace(
          /(keyVaultAssignments[\s\S]*?roleDefinitionId: )subscriptionResourceId\('Microsoft.Authorization\/roleDefinitions', roles\[assignment.role\]\)/,
          "$1subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'acdd72a7-3385-48ef-bd42-f606fba81ae7')",
        ),
      );
      const r = checkDrift(dir);
      assertDrift(r, 'bicep', /keyVaultAssignments/, /roleDefinitionId is .*'acdd72a7-/);
    });

    test('an extra, undeclared role assignment', () => {
      const dir = copy();
      edit(dir, 'infra/modules/role-assignments.bicep', (t) =>
        t.concat(`
resource extraGrant 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(canaryContainer.id, principalIds.app, 'contributor')
  scope: canaryContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles['Storage Blob Data Contributor'])
    principalId: principalIds.app
    principalType: 'ServicePrincipal'
  }
}
`),
      );
      assertDrift(
        checkDrift(dir),
        'bicep',
        /resource extraGrant/,
        /not a loop over filter\(assignments, a => a.scope == '<key>'\): an undeclared assignment/,
      );
    });

    test('principalType dropped (PrincipalNotFound right after the identity is created)', () => {
      const dir = copy();
      edit(dir, 'infra/modules/role-assignments.bicep', (t) =>
        t.replace(/(resourceGroupAssignments[\s\S]*?)\n\s*principalType: 'ServicePrincipal'/, '$1'),
      );
      assertDrift(
        checkDrift(dir),
        'bicep',
        /resourceGroupAssignments/,
        /principalType is \(missing\), expected 'ServicePrincipal'/,
      );
    });

    test('the principals of two identities swapped in main.bicep', () => {
      const dir = copy();
      edit(dir, 'infra/main.bicep', (t) =>
        t.replace('app: identities.outputs.appPrincipalId', 'app: identities.outputs.federatedPrincipalId'),
      );
      assertDrift(
        checkDrift(dir),
        'bicep',
        /principalIds\.app is identities\.outputs\.federatedPrincipalId, expected identities\.outputs\.appPrincipalId/,
      );
    });
  });

  describe('the telemetry role (Monitoring Metrics Publisher for the host identity, served by the sandbox)', () => {
    test('missing from the sandbox world', () => {
      const dir = copy();
      editJson(dir, 'sandbox/worlds/healthy.json', (w) => {
        w.removeRoleAssignments = [
          { identity: 'host', role: 'Monitoring Metrics Publisher', scope: 'appInsights' },
        ];
      });
      assertDrift(
        checkDrift(dir),
        'sandbox',
        /does not grant declared assignment/,
        /Monitoring Metrics Publisher/,
      );
    });

    test('the host identity detached in the sandbox world', () => {
      const dir = copy();
      editJson(dir, 'sandbox/worlds/healthy.json', (w) => {
        (w.functionApp as { userAssignedIdentities: string[] }).userAssignedIdentities = ['id-probes-app'];
      });
      assertDrift(
        checkDrift(dir),
        'sandbox',
        /the function app attaches \[app\] but the declaration attaches/,
      );
    });

    test('scoped to another resource in the Bicep', () => {
      const dir = copy();
      edit(dir, 'infra/modules/role-assignments.bicep', (t) =>
        t.replace('scope: appInsights\n', 'scope: hostStorage\n'),
      );
      assertDrift(
        checkDrift(dir),
        'bicep',
        /appInsightsAssignments/,
        /scope is hostStorage, expected appInsights/,
      );
    });
  });

  describe('a role assignment changed on the sandbox side only', () => {
    test('the healthy world grants one more role', () => {
      const dir = copy();
      editJson(dir, 'sandbox/worlds/healthy.json', (w) => {
        w.extraRoleAssignments = [
          { identity: 'app', role: 'Storage Blob Data Contributor', scope: 'canaryContainer' },
        ];
      });
      assertDrift(
        checkDrift(dir),
        'sandbox',
        /the sandbox grants app -> 'Storage Blob Data Contributor' on canaryContainer, which the declaration does not/,
      );
    });

    test('the healthy world drops a declared role', () => {
      const dir = copy();
      editJson(dir, 'sandbox/worlds/healthy.json', (w) => {
        w.removeRoleAssignments = [{ identity: 'federated', role: 'Reader', scope: 'resourceGroup' }];
      });
      assertDrift(
        checkDrift(dir),
        'sandbox',
        /does not grant declared assignment federated -> 'Reader' on resourceGroup/,
      );
    });

    test('the canary scope bound to the wrong container', () => {
      const dir = copy();
      editJson(dir, 'sandbox/worlds/healthy.json', (w) => {
        (w.scopeBindings as Record<string, string>).canaryContainer =
          'container:stidentityprobes/probe-status';
      });
      const r = checkDrift(dir);
      assertDrift(
        r,
        'sandbox',
        /does not grant declared assignment app -> 'Storage Blob Data Reader' on canaryContainer/,
      );
      assertDrift(
        r,
        'sandbox',
        /grants system -> 'Storage Blob Data Reader' on statusContainer, which the declaration does not/,
      );
    });

    test('the federated identity attached to the app', () => {
      const dir = copy();
      editJson(dir, 'sandbox/worlds/healthy.json', (w) => {
        (w.functionApp as { userAssignedIdentities: string[] }).userAssignedIdentities.push(
          'id-probes-federated',
        );
      });
      assertDrift(
        checkDrift(dir),
        'sandbox',
        /attaches \[app, host, federated\] but the declaration attaches \[app, host\]/,
      );
    });
  });

  describe('the declaration changed without the other sides following', () => {
    test('an assignment at a scope the Bicep has no loop for', () => {
      const dir = copy();
      editJson(dir, 'infra/identity-wiring.json', (w) => {
        (w.scopes as Record<string, string>).subscription = 'the subscription';
        (w.scopeResourceTypes as Record<string, string>).subscription = 'Microsoft.Resources/subscriptions';
        (w.roleAssignments as unknown[]).push({
          identity: 'host',
          role: 'Reader',
          scope: 'subscription',
          plane: 'host',
          why: 'test',
        });
      });
      assertDrift(
        checkDrift(dir),
        'bicep',
        /scope 'subscription' is used by 1 declared assignment/,
        /0 loop/,
      );
    });
  });

  describe('federated credentials and attachments in the Bicep', () => {
    test('the credential loop writes audiences by hand and loses batchSize(1)', () => {
      const dir = copy();
      edit(dir, 'infra/modules/identities.bicep', (t) =>
        t
          .replace('audiences: credential.audiences', "audiences: ['api://AzureADTokenExchange']")
          .replace('@batchSize(1)\n', ''),
      );
      const r = checkDrift(dir);
      assertDrift(
        r,
        'bicep',
        /audiences is \['api:\/\/AzureADTokenExchange'\], expected credential\.audiences/,
      );
      assertDrift(r, 'bicep', /needs @batchSize\(1\)/);
    });

    test('the subject fed by the issuer parameter', () => {
      const dir = copy();
      edit(dir, 'infra/main.bicep', (t) =>
        t.replace('federatedSubject: federatedSubject', 'federatedSubject: federatedIssuer'),
      );
      assertDrift(
        checkDrift(dir),
        'bicep',
        /federatedParameters\.federatedSubject is federatedIssuer, expected federatedSubject/,
      );
    });

    test('the host identity not attached to the site', () => {
      const dir = copy();
      edit(dir, 'infra/modules/function-app.bicep', (t) =>
        t.replace("      '${identities.host.resourceId}': {}\n", ''),
      );
      assertDrift(checkDrift(dir), 'bicep', /the site attaches/, /attachedToApp identities/);
    });
  });

  describe('settings', () => {
    test('a sandbox-only switch set in Azure, and a setting pointing at the wrong identity', () => {
      const dir = copy();
      edit(dir, 'infra/modules/function-app.bicep', (t) =>
        t
          .replace(
            '  AZURE_TENANT_ID: tenant().tenantId\n',
            "  AZURE_TENANT_ID: tenant().tenantId\n  AZURE_DISABLE_INSTANCE_DISCOVERY: 'true'\n",
          )
          .replace(
            'UAMI_OBJECT_ID: identities.app.principalId',
            'UAMI_OBJECT_ID: identities.federated.principalId',
          ),
      );
      const r = checkDrift(dir);
      assertDrift(r, 'bicep', /mentions the sandbox-only setting AZURE_DISABLE_INSTANCE_DISCOVERY/);
      assertDrift(
        r,
        'bicep',
        /app setting UAMI_OBJECT_ID is identities\.federated\.principalId, expected identities\.app\.principalId/,
      );
    });

    test('a declared setting missing from the Bicep', () => {
      const dir = copy();
      edit(dir, 'infra/modules/function-app.bicep', (t) =>
        t.replace(/ {2}PROBE_SCHEDULE: probeSchedule\n/, ''),
      );
      assertDrift(checkDrift(dir), 'bicep', /declared setting PROBE_SCHEDULE is not in the app settings/);
    });
  });
});

// Every other Bicep check, each shown failing on one changed line: [what, file, line as written, changed, message].
const BICEP_MUTATIONS: Array<[string, string, string, string, RegExp]> = [
  [
    'the declaration not loaded',
    'main.bicep',
    "var wiring = loadJsonContent('identity-wiring.json')",
    "var wiring = loadJsonContent('wiring-copy.json')",
    /var wiring is loadJsonContent\('wiring-copy.json'\), expected/,
  ],
  [
    'a scope resource of another type',
    'modules/role-assignments.bicep',
    "resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing",
    "resource keyVault 'Microsoft.Storage/storageAccounts@2023-05-01' existing",
    /keyVaultAssignments: resource 'keyVault' must have the declared type Microsoft.KeyVault\/vaults, found Microsoft.Storage/,
  ],
  [
    'roles written in the module',
    'modules/role-assignments.bicep',
    'param roles object',
    "var roles = { Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7' }",
    /role-assignments.bicep needs the param 'roles'/,
  ],
  [
    'a loop granting one fixed principal',
    'modules/role-assignments.bicep',
    '      principalId: principalIds[assignment.identity]',
    '      principalId: principalIds.app',
    /resourceGroupAssignments properties.principalId is principalIds.app, expected principalIds\[assignment.identity\]/,
  ],
  [
    'an assignment named for another scope (its GUID name would collide)',
    'modules/role-assignments.bicep',
    'name: guid(keyVault.id,',
    'name: guid(resourceGroup().id,',
    /keyVaultAssignments name is guid\(resourceGroup\(\).id, .*expected guid\(keyVault.id, /,
  ],
  [
    'a plane filter changed',
    'main.bicep',
    "assignments: filter(wiring.roleAssignments, a => a.?plane == 'host')",
    "assignments: filter(wiring.roleAssignments, a => a.scope == 'hostStorage')",
    /once with assignments: filter\(wiring.roleAssignments, a => a.\?plane == 'host'\), found 0/,
  ],
  [
    'roles not from the declaration',
    'main.bicep',
    'roles: wiring.roles',
    "roles: { Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7' }",
    /hostPlaneRoleAssignments params.roles is \{ Reader.*, expected wiring.roles/,
  ],
  [
    "a principal output of another identity's principal",
    'modules/identities.bicep',
    'output hostPrincipalId string = hostIdentity.properties.principalId',
    'output hostPrincipalId string = appIdentity.properties.principalId',
    /output hostPrincipalId is appIdentity.properties.principalId, expected hostIdentity/,
  ],
  [
    "the system principal output not the site's",
    'modules/function-app.bicep',
    'output systemPrincipalId string = functionApp.identity.principalId',
    'output systemPrincipalId string = plan.id',
    /output systemPrincipalId is plan.id, expected functionApp.identity.principalId/,
  ],
  [
    'a declared identity renamed',
    'modules/identities.bicep',
    'resource hostIdentity ',
    'resource platformIdentity ',
    /has no resource hostIdentity for the declared identity 'host'/,
  ],
  [
    "an identities output field of another identity's",
    'modules/identities.bicep',
    '    clientId: appIdentity.properties.clientId',
    '    clientId: federatedIdentity.properties.clientId',
    /output identities.app.clientId is federatedIdentity.properties.clientId/,
  ],
  [
    'the credentials parented to another identity',
    'modules/identities.bicep',
    'parent: federatedIdentity',
    'parent: appIdentity',
    /federatedIdentityCredentials parent is appIdentity, expected federatedIdentity/,
  ],
  [
    "another identity's credentials passed",
    'main.bicep',
    'federatedCredentials: wiring.identities.federated.federatedCredentials',
    'federatedCredentials: wiring.identities.app.federatedCredentials',
    /params.federatedCredentials is wiring.identities.app.federatedCredentials/,
  ],
  [
    'the credential loop not over the declared credentials',
    'modules/identities.bicep',
    'for credential in federatedCredentials: {',
    'for credential in [federatedCredentials[0]]: {',
    /federatedIdentityCredentials: must be a loop 'for x in federatedCredentials'/,
  ],
  [
    "the site given something other than the identities module's IDs",
    'main.bicep',
    'identities: identities.outputs.identities',
    'identities: {}',
    /module functionApp params.identities is \{\}, expected identities.outputs.identities/,
  ],
  [
    'the system identity dropped from the site',
    'modules/function-app.bicep',
    "type: 'SystemAssigned, UserAssigned'",
    "type: 'UserAssigned'",
    /identity.type is 'UserAssigned', expected 'SystemAssigned, UserAssigned'/,
  ],
  [
    "a Node version other than package.json's",
    'modules/function-app.bicep',
    "version: '22'",
    "version: '20'",
    /runtime.version is '20', expected '22'/,
  ],
  [
    'the deployment storage written with an identity that has no role on it',
    'modules/function-app.bicep',
    'userAssignedIdentityResourceId: identities.host.resourceId',
    'userAssignedIdentityResourceId: identities.app.resourceId',
    /userAssignedIdentityResourceId is identities.app.resourceId, expected identities.host.resourceId/,
  ],
  [
    'an undeclared app setting',
    'modules/function-app.bicep',
    '  AZURE_TENANT_ID: tenant().tenantId\n',
    "  AZURE_TENANT_ID: tenant().tenantId\n  WEBSITE_TIME_ZONE: 'UTC'\n",
    /app setting WEBSITE_TIME_ZONE is not declared/,
  ],
  [
    'a setting set twice',
    'modules/function-app.bicep',
    '  AZURE_TENANT_ID: tenant().tenantId\n',
    "  AZURE_TENANT_ID: tenant().tenantId\n  AzureWebJobsStorage__credential: 'managedidentity'\n",
    /setting AzureWebJobsStorage__credential is set twice/,
  ],
  [
    'telemetry sent as another identity',
    'modules/function-app.bicep',
    "'ClientId=${identities.host.clientId};Authorization=AAD'",
    "'ClientId=${identities.app.clientId};Authorization=AAD'",
    /APPLICATIONINSIGHTS_AUTHENTICATION_STRING is 'ClientId=\$\{identities.app.clientId\};Authorization=AAD', expected 'ClientId=\$\{identities.host/,
  ],
  [
    'the status writer fixed to one identity',
    'modules/function-app.bicep',
    '{ STATUS_CLIENT_ID: identities[statusWriter].clientId }',
    '{ STATUS_CLIENT_ID: identities.app.clientId }',
    /STATUS_CLIENT_ID is identities.app.clientId, expected identities\[statusWriter\].clientId/,
  ],
  [
    'the status writer read from another scope',
    'main.bicep',
    "a => a.scope == 'statusContainer'))!.identity",
    "a => a.scope == 'canaryContainer'))!.identity",
    /var statusWriter is .*'canaryContainer'/,
  ],
  [
    'the status writer not passed',
    'main.bicep',
    'statusWriter: statusWriter',
    "statusWriter: 'system'",
    /params.statusWriter is 'system', expected statusWriter/,
  ],
  [
    'the app settings not one union of vars',
    'modules/function-app.bicep',
    'properties: union(hostSettings, probeSettings, federatedTokenSettings, statusWriterSettings, declarationUrlSettings, declarationReaderSettings)',
    'properties: probeSettings',
    /app settings must be one resource 'appsettings' with properties: union/,
  ],
];

describe('each Bicep check fails when its line drifts', () => {
  for (const [what, file, from, to, message] of BICEP_MUTATIONS)
    test(what, () => {
      const dir = copy();
      edit(dir, `infra/${file}`, (t) => t.replace(from, to));
      assertDrift(checkDrift(dir), 'bicep', message);
    });
});
