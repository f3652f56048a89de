// Small helpers for the `az` commands remediation prints: shared by the generic remediation and by the paths' and
// targets' own remediation hooks. Pure, a leaf module.
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
