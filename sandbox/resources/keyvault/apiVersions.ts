// The Key Vault data-plane api-versions the sandbox's vault serves, declared once, and the BadParameter message the
// real service answers for any other (Azure/azure-sdk-for-python#28595: "The specified version (7.3) is not
// recognized. Consider using the latest supported version (7.1)." from a vault that did not serve 7.3).
/**
 * The data-plane versions the vault serves, newest first: what @azure/keyvault-secrets 4.12 (2026-04-01 by default,
 * 7.0-7.6 and 2025-07-01 on request) and the Azure CLI 2.91 (7.4, 7.5-preview.1, 7.6-preview.2) send.
 */
export const KEY_VAULT_API_VERSIONS = [
  '2026-04-01',
  '2025-07-01',
  '7.6',
  '7.6-preview.2',
  '7.5',
  '7.5-preview.1',
  '7.4',
  '7.3',
  '7.2',
  '7.1',
  '7.0',
  '2016-10-01',
];

/** The BadParameter message for a missing or unserved api-version; undefined when the vault serves it. */
export function checkKeyVaultApiVersion(value: string | null): string | undefined {
  if (!value) return "The 'api-version' query parameter is missing or empty.";
  if (KEY_VAULT_API_VERSIONS.includes(value)) return undefined;
  return `The specified version (${value}) is not recognized. Consider using the latest supported version (${KEY_VAULT_API_VERSIONS[0]}).`;
}
