// Small helpers for the `az` commands remediation prints: shared by the generic remediation and by the paths' and
// targets' own remediation hooks. Pure, a leaf module.
import { roleAssignmentName, templateScope } from '../../common/arm-guid.ts';
import { ROLES, type RoleName } from '../../common/catalog.ts';
import type { RemediationFacts } from './plugins.ts';

/** A single-quoted shell word. */
export const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** `--name <app> --resource-group <rg>` for `az functionapp ...`, with placeholders for what is unknown. */
export function appArgs(f: RemediationFacts): string {
  return `--name ${f.app.name ?? '<function-app-name>'} --resource-group ${f.app.resourceGroup ?? '<resource-group>'}`;
}

/** The status code and service codes of a failure, as ` Forbidden/ForbiddenByRbac`. */
export function codes(d: { code?: string; innerCode?: string }): string {
  return `${d.code ? ` ${d.code}` : ''}${d.innerCode ? `/${d.innerCode}` : ''}`;
}

/** The settings a `misconfigured` result names: the problems found before the run, else the one the SDK refused. */
export function settingNames(f: RemediationFacts, setting: string | undefined): string[] {
  return f.settingProblems?.length ? f.settingProblems.map((p) => p.setting) : [setting ?? 'a setting'];
}

/** `az functionapp config appsettings set ... --settings NAME=<value> ...`. */
export function appSettingsCommand(f: RemediationFacts, names: readonly string[]): string {
  return `az functionapp config appsettings set ${appArgs(f)} --settings ${names.map((n) => `${n}=<value>`).join(' ')}`;
}

/** What the printed fix of a missing declared role says first: a redeployment restores it. */
export const REDEPLOY_FIRST =
  '`npm run deploy` restores every declared role assignment (under the names the template gives them); or run the command below, which creates this one under the same name, so the next deployment updates it instead of failing with 409 RoleAssignmentExists.';

/**
 * `az role assignment create` of a DECLARED assignment, named as infra/modules/role-assignments.bicep names it
 * (guid(scope id, principal id, role GUID), common/arm-guid.ts). Without --name the CLI picks a random GUID, and the
 * next deployment's PUT of the same principal, role and scope under the template's name fails with 409
 * RoleAssignmentExists. A role the catalog does not know gets no --name (it is not the template's).
 */
export function roleAssignmentCreateCommand(
  principalId: string,
  role: string,
  scope: string,
  deployment: { subscriptionId?: string; resourceGroup?: string } = {},
): string {
  const guid = (ROLES as Readonly<Record<string, string>>)[role as RoleName];
  const name = guid
    ? ` --name ${roleAssignmentName(templateScope(scope, deployment), principalId, guid)}`
    : '';
  return `az role assignment create${name} --assignee-object-id ${principalId} --assignee-principal-type ServicePrincipal --role "${role}" --scope ${scope}`;
}
