// Runs az and func for the deploy steps that need to read what a command printed while the user still sees it:
// `capture` keeps stdout for parsing, `stream` shows the output as it comes and keeps a copy (to tell a 403 from
// other failures). Never throws for a non-zero exit; the caller decides.
import { spawn } from 'node:child_process';

export interface ExecResult {
  status: number;
  stdout: string;
  stderr: string;
}

export class ToolMissingError extends Error {}

export type Exec = (argv: string[], opts?: { cwd?: string; stream?: boolean }) => Promise<ExecResult>;

/** An Exec rooted at `root` (the default working directory). */
export function makeExec(root: string): Exec {
  return (argv, opts = {}) =>
    new Promise((resolve, reject) => {
      // az is a .cmd script on Windows, which only a shell can start.
      const child = spawn(argv[0], argv.slice(1), {
        cwd: opts.cwd ?? root,
        stdio: ['ignore', 'pipe', 'pipe'],
        shell: process.platform === 'win32',
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (opts.stream) process.stdout.write(d);
      });
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        if (opts.stream) process.stderr.write(d);
      });
      child.on('error', (err: NodeJS.ErrnoException) =>
        reject(
          err.code === 'ENOENT'
            ? new ToolMissingError(
                `${argv[0]} is not installed or not on the PATH (see docs/deploy.md "Prerequisites")`,
              )
            : err,
        ),
      );
      child.on('close', (code, signal) => resolve({ status: code ?? (signal ? 128 : 1), stdout, stderr }));
    });
}

/** The last non-empty line of a command's stderr (or stdout), for a one-line error message. */
export function lastLine(r: ExecResult): string {
  const lines = (r.stderr.trim() ? r.stderr : r.stdout).split('\n').filter((l) => l.trim());
  return lines.length ? lines[lines.length - 1].trim() : `exit ${r.status}`;
}
