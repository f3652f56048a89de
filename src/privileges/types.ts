// What a privileges check reports (docs/privileges.md): per identity, the permissions it holds at each scope the
// wiring names, what is beyond its declared roles, the assignment that grants it and the command that removes it.
import type { OutcomeKind } from '../ids.ts';
import type { ErrorDetail, Remediation } from '../core/results.ts';

/** What a scope grants beyond the declared roles: allow patterns as ARM listed them, with their own exclusions. */
export interface Excess {
  actions: string[];
  /** The not-actions of the blocks that grant `actions` (what those patterns leave out). */
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

export interface ScopeCheck {
  /**
   * The scope's name: the canary's scope keys (catalog.ts SCOPE_KEYS: keyVault, canaryContainer, ...) where the scope
   * is the app's own, else the declared resource whose scope it is, else the subscription or resource group by id.
   */
  scope: string;
  /** ARM id of the scope (absent when the settings do not say it). */
  id?: string;
  outcome: OutcomeKind;
  /** Permission entries ARM returned for the caller here (one per role assignment in force, inherited included). */
  entries: number;
  /** Declared roles in force here (at this scope or above), by name. */
  declaredRoles: string[];
  excess?: Excess;
  detail?: ErrorDetail;
}

/** A role assignment as the check names it. */
export interface GrantingAssignment {
  /** Full ARM id: `{scope}/providers/Microsoft.Authorization/roleAssignments/{name}`. */
  id: string;
  roleDefinitionId: string;
  roleName?: string;
  scope: string;
}

export interface Finding {
  /** The assignment that grants the excess; absent when it could not be found (see `lookup`). */
  assignment?: GrantingAssignment;
  scopes: string[];
  actions: string[];
  dataActions: string[];
  remediation: Remediation;
}

export interface PrivilegesResult {
  /** The identity checked: the catalog's key (system, app, federated) for the canary's, else its first declared name. */
  identity: string;
  /** The declared identity (the identity path, for the canary's) whose credential read the permissions. */
  path: string;
  /** Every declared identity name that is this principal, when the check ran from a declaration. */
  names?: string[];
  /** The caller ARM saw (the token's oid). */
  principalId?: string;
  outcome: OutcomeKind;
  at: string;
  totalMs: number;
  scopes: ScopeCheck[];
  findings: Finding[];
  /**
   * How the granting assignments were found: 'listed' (this run listed them), 'cached' (same excess as the last
   * run: its answer reused, no request), 'not-permitted' (the identity may not read role assignments), 'failed'.
   */
  lookup?: 'listed' | 'cached' | 'not-permitted' | 'failed';
  /** ARM requests this check sent: one permissions read per scope, plus the lookup when it ran. */
  armRequests: number;
  detail?: ErrorDetail;
  remediation?: Remediation;
}
