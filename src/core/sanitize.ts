// The app's process-wide redactor: the one redaction module (common/redact.ts) plus the secret values found in the
// environment (config.ts). Everything that leaves a probe goes through it.
import { createRedactor, type Redactor } from '../../common/redact.ts';
import { secretEnvValues } from '../config.ts';

export type Sanitizer = Redactor;
export { createRedactor as createSanitizer } from '../../common/redact.ts';

let processSanitizer: Sanitizer | undefined;

/** The process-wide sanitizer: shape rules plus the secret values found in the environment (config.ts). */
export function sanitizer(): Sanitizer {
  processSanitizer ??= createRedactor(secretEnvValues());
  return processSanitizer;
}
