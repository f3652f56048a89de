// The identity plane (issue: sandbox part 1): managed identity sources, Entra ID, external OIDC provider.
import type { PlaneHandle, SandboxContext } from '../core/context.ts';

export async function startIdentityPlane(_ctx: SandboxContext): Promise<PlaneHandle> {
  return { endpoints: {}, close: async () => {} };
}
