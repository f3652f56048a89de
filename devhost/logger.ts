// Log output of the dev host. Invocation logs read `[time] [function] level message`, host (system) lines are
// marked `[devhost]` (docs/host-notes.md B.5 step 8). Everything goes through sanitize() first.
import { format } from 'node:util';
import { sanitize } from './sanitize.ts';
import type { LogLevel } from './types.ts';

let verbose = false;

export function setVerbose(on: boolean): void {
  verbose = on;
}

function shown(level: LogLevel): boolean {
  if (level === 'none') return false;
  return verbose || (level !== 'trace' && level !== 'debug');
}

function write(level: LogLevel, line: string): void {
  const stream =
    level === 'error' || level === 'critical' || level === 'warning' ? process.stderr : process.stdout;
  stream.write(sanitize(line) + '\n');
}

function now(): string {
  return new Date().toISOString();
}

/** A host line: startup, routes, errors the host itself reports. */
export function hostLog(level: LogLevel, message: string): void {
  if (!shown(level)) return;
  write(level, `[${now()}] [devhost] ${level === 'information' ? '' : level + ' '}${message}`);
}

/** A line logged by or about one invocation of a function. */
export function functionLog(functionName: string, level: LogLevel, message: string, system = false): void {
  if (!shown(level)) return;
  write(level, `[${now()}] [${functionName}]${system ? ' (system)' : ''} ${level} ${message}`);
}

/**
 * The real worker forwards the app's console output to the host as logs, and the host sanitizes what it logs.
 * Here the app shares our process, so console.* is wrapped to apply the same redaction.
 */
export function sanitizeConsole(): void {
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
  for (const m of methods) {
    const stream = m === 'warn' || m === 'error' || m === 'trace' ? process.stderr : process.stdout;
    console[m] = (...args: unknown[]) => {
      if ((m === 'debug' || m === 'trace') && !verbose) return;
      stream.write(sanitize(format(...args)) + '\n');
    };
  }
}
