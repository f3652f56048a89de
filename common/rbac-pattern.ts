// Azure RBAC action patterns (docs/data-plane.md §4.2): one wildcard, `*`, matching any characters across `/`,
// anywhere in the string (`*`, `*/read`, `Microsoft.KeyVault/vaults/*/read`); case-insensitive because built-ins mix
// case (`Microsoft.Authorization/*/Delete`). Shared by the sandbox's RBAC and the app's privileges check.
const compiled = new Map<string, RegExp>();

/** Whether `pattern` matches `action` (or, read as a literal, another pattern). */
export function actionMatches(pattern: string, action: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${body}$`, 'i');
    compiled.set(pattern, re);
  }
  return re.test(action);
}
