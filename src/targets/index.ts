import type { TargetId } from '../ids.ts';
import { arm } from './arm.ts';
import { blob } from './blob.ts';
import { keyvault } from './keyvault.ts';
import type { Target } from '../core/plugins.ts';

export { TargetCheckError } from './shared.ts';

export const TARGETS: Readonly<Record<TargetId, Target>> = Object.freeze({ keyvault, blob, arm });
export { vaultName } from './keyvault.ts';
export { storageAccountName } from './blob.ts';
