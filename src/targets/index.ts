import type { TargetId } from '../ids.ts';
import { arm } from './arm.ts';
import { blob } from './blob.ts';
import { keyvault } from './keyvault.ts';
import type { Target } from './types.ts';

export type { Target, TargetCall, TargetData } from './types.ts';
export { TargetCheckError } from './types.ts';

export const TARGETS: Readonly<Record<TargetId, Target>> = Object.freeze({ keyvault, blob, arm });
export { vaultName } from './keyvault.ts';
export { storageAccountName } from './blob.ts';
