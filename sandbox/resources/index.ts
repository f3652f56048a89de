// The resource plane (issue: sandbox part 2): RBAC, Key Vault, ARM, Blob (Azurite behind a gateway).
import type { PlaneHandle, SandboxContext } from '../core/context.ts';

export async function startResourcePlane(_ctx: SandboxContext): Promise<PlaneHandle> {
  return { endpoints: {}, close: async () => {} };
}
