// What the drift checks share: the report types, the problem list, small helpers and the parsed Bicep files.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { BicepDeclaration } from '../bicep-text.ts';
import { parseBicep } from '../bicep-text.ts';
import type { WiringRoleAssignment } from '../wiring.ts';

export type DriftSide = 'bicep' | 'sandbox';

export interface DriftProblem {
  side: DriftSide;
  message: string;
}

export class Problems {
  readonly list: DriftProblem[] = [];
  add(side: DriftSide, message: string): void {
    this.list.push({ side, message });
  }
}

export const describe = (a: WiringRoleAssignment) => `${a.identity} -> '${a.role}' on ${a.scope}`;
export const sameSet = (a: Iterable<string>, b: Iterable<string>) => {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
};

/** Parameters of main.bicep that have no default and that `npm run deploy` passes on the command line. */
export const PARAMETERS_FROM_DEPLOY = ['federatedIssuer', 'federatedSubject'] as const;

/** App settings Flex Consumption rejects or replaces with functionAppConfig (Flex Consumption plan docs). */
export const FLEX_FORBIDDEN_SETTINGS = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'AzureWebJobsStorage',
];

export const GUID_LITERAL = /'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'/i;

export interface BicepFile {
  rel: string;
  text: string;
  decls: BicepDeclaration[];
}

/** What every Bicep check is given: the files, main.bicep, a lookup by module path, and the problem sink. */
export interface BicepSet {
  files: BicepFile[];
  main: BicepFile;
  byPath(modulePath: string): BicepFile | undefined;
  /** The name main.bicep gives the loaded declaration (var wiring = loadJsonContent(...)). */
  W: string;
  bad(message: string): void;
}

function listBicep(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listBicep(join(dir, e.name)) : e.name.endsWith('.bicep') ? [join(dir, e.name)] : [],
  );
}

export function readBicepFiles(root: string): BicepFile[] {
  return listBicep(join(root, 'infra')).map((f) => {
    const text = readFileSync(f, 'utf8');
    return { rel: relative(root, f), text, decls: parseBicep(text) };
  });
}
