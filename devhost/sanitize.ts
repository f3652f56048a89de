// The dev host's process-wide redactor (common/redact.ts, the same one the app uses): every line the host writes
// (invocation logs, system logs, console output of the app, errors) goes through it, plus the host's own secrets
// (function keys, the identity header) once known.
import { createRedactor } from '../common/redact.ts';

const redactor = createRedactor();

/** Values that must never be printed verbatim (function keys, the identity header...). */
export function addSecret(value: string | undefined): void {
  redactor.add(value);
}

export function sanitize(text: string): string {
  return redactor.text(text);
}
