// What the drift checks share: the problem list, small helpers, and the Bicep files as the checks read them.
import type { WiringRoleAssignment } from '../wiring.ts';
import type { Decl } from './read.ts';

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

export const [MAIN, RA, ID, FA] = [
  'main',
  'modules/role-assignments',
  'modules/identities',
  'modules/function-app',
].map((f) => `infra/${f}.bicep`);

/** What every Bicep check is given. A declaration is named 'kind name' ('module identities'), in main.bicep unless a
 * file is given; a path is a dotted entry path ('properties.principalId'), '' for the declaration's own value. */
export interface BicepSet {
  decl(decl: string, file?: string): Decl | undefined;
  /** Every declaration of a kind and type in infra/ (the resource type without its API version), with its file. */
  all(kind: Decl['kind'], type: string): Array<{ file: string; d: Decl }>;
  bad(message: string): void;
  /** Reports each [path, expected value] that the declaration does not have; true when all match. */
  want(file: string, decl: string, rows: Array<[string, string]>): boolean;
}
