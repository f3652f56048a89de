// ARM's guid() (common/arm-guid.ts) against values ARM's own expression evaluator computed, published in the Bicep
// repository's tests (Bicep folds guid() of literals at compile time with the ARM template engine's function
// library), and the template's role assignment names as the remediation and the sandbox compute them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { armGuid, roleAssignmentName, templateScope, uuidV5 } from '../../../common/arm-guid.ts';

describe('ARM guid()', () => {
  it('equals ARM on published vectors', () => {
    // https://github.com/Azure/bicep/blob/9beb0fee60ca53458f41492b699af440367b240b/src/Bicep.Core.UnitTests/TypeSystem/FunctionResolverTests.cs#L915
    assert.equal(armGuid('foo', 'bar', 'baz'), '2ed86837-7c7c-5eaa-9864-dd077fd19b0d');
    // https://github.com/Azure/bicep/blob/9beb0fee60ca53458f41492b699af440367b240b/src/Bicep.Core.Samples/Files/baselines_bicepparam/Expressions/parameters.json#L31
    // (guid('asdf') in parameters.bicepparam, evaluated)
    assert.equal(armGuid('asdf'), '228d27cc-6fdb-5934-b7ac-1efccebade04');
  });

  it('is RFC 4122 §4.3 version 5 (checked on the RFC 9562 appendix vector)', () => {
    // RFC 9562 Appendix A.4: UUIDv5 of "www.example.com" in the DNS namespace.
    assert.equal(
      uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com'),
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('joins the arguments with "-" and is case-sensitive, as ARM is', () => {
    assert.equal(armGuid('foo', 'bar', 'baz'), armGuid('foo-bar-baz'));
    assert.notEqual(armGuid('Foo'), armGuid('foo'));
    assert.throws(() => armGuid(), /at least one argument/);
  });

  it('names a role assignment as infra/modules/role-assignments.bicep does: guid(scope id, principal, role GUID)', () => {
    const scope = '/subscriptions/fede0978-e421-4650-9304-746eefba010e/resourceGroups/rg-identity-probes';
    assert.equal(
      roleAssignmentName(
        scope,
        '63B2D18A-12B0-4881-B036-8FDA3DAE8B69',
        'acdd72a7-3385-48ef-bd42-f606fba81ae7',
      ),
      armGuid(scope, '63b2d18a-12b0-4881-b036-8fda3dae8b69', 'acdd72a7-3385-48ef-bd42-f606fba81ae7'),
    );
  });

  it('spells a scope as the template does, whatever case a 403 named it in', () => {
    const ids = {
      subscriptionId: 'fede0978-e421-4650-9304-746eefba010e',
      resourceGroup: 'rg-Identity-Probes',
    };
    assert.equal(
      templateScope(
        '/subscriptions/FEDE0978-E421-4650-9304-746EEFBA010E/resourcegroups/rg-identity-probes/providers/microsoft.keyvault/vaults/kv-identity-probes/',
        ids,
      ),
      '/subscriptions/fede0978-e421-4650-9304-746eefba010e/resourceGroups/rg-Identity-Probes/providers/Microsoft.KeyVault/vaults/kv-identity-probes',
    );
    assert.equal(
      templateScope(
        '/subscriptions/fede0978-e421-4650-9304-746eefba010e/resourceGroups/rg-identity-probes/providers/Microsoft.Storage/storageaccounts/st1/blobservices/default/containers/canary',
        ids,
      ),
      '/subscriptions/fede0978-e421-4650-9304-746eefba010e/resourceGroups/rg-Identity-Probes/providers/Microsoft.Storage/storageAccounts/st1/blobServices/default/containers/canary',
    );
    // A resource group the settings do not name keeps its spelling.
    assert.equal(
      templateScope('/subscriptions/x/resourcegroups/Other', ids),
      '/subscriptions/x/resourceGroups/Other',
    );
  });
});
