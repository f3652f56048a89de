// Child processes for `npm start` and the tests that run the dev host and the sandbox as a user does: each in its
// own process group (so a stop reaches its children, e.g. Azurite), output captured, and a check that nothing is
// left behind.
import { spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';

export interface Proc {
  child: ChildProcess;
  pid: number;
  /** stdout and stderr interleaved, as received. */
  output(): string;
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  /** Sends `signal` to the process only (as a terminal's Ctrl-C reaches the foreground command). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
  /** SIGKILL to the whole process group; safe to call twice. */
  kill(): void;
}

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Waits until the process group is empty (children take a moment to be reaped). */
export async function waitGroupGone(pgid: number, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!groupAlive(pgid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !groupAlive(pgid);
}

export interface ProcOptions extends SpawnOptions {
  /** Called with every chunk of output (e.g. to tee it to a log file or the terminal). */
  onData?: (chunk: Buffer) => void;
}

/** The process's output, kept (bounded), and waits for a pattern to appear in it. */
function outputWatcher(exited: Promise<number | string>, tee?: (chunk: Buffer) => void) {
  let out = '';
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const onData = (d: Buffer) => {
    tee?.(d);
    out += d.toString();
    // Keep memory bounded for long-running processes; matches are searched in recent output.
    if (out.length > 4_000_000) out = out.slice(-2_000_000);
    for (const w of [...waiters]) {
      const m = out.match(w.re);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  const waitFor = (re: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> => {
    const m = out.match(re);
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        const i = waiters.indexOf(w);
        if (i >= 0) waiters.splice(i, 1);
      };
      const w = {
        re,
        resolve: (found: RegExpMatchArray) => {
          done();
          resolve(found);
        },
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`timed out after ${timeoutMs} ms waiting for ${re} in output:\n${out.slice(-4000)}`),
        );
      }, timeoutMs);
      waiters.push(w);
      void exited.then((code) => {
        if (!waiters.includes(w)) return;
        done();
        reject(new Error(`process exited (${code}) before ${re} appeared; output:\n${out.slice(-4000)}`));
      });
    });
  };
  return { onData, output: () => out, waitFor };
}

export function startProc(command: string, args: string[], opts: ProcOptions = {}): Proc {
  const { onData: tee, ...spawnOpts } = opts;
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...spawnOpts });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  const pid = child.pid;
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  const watcher = outputWatcher(exited, tee);
  child.stdout?.on('data', watcher.onData);
  child.stderr?.on('data', watcher.onData);
  const kill = () => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  return {
    child,
    pid,
    output: watcher.output,
    exited,
    waitFor: watcher.waitFor,
    async stop(signal = 'SIGTERM', timeoutMs = 35_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      else kill(); // the leader is gone; make sure nothing of its group remains
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
      const r = await Promise.race([exited, timeout]);
      if (r === 'timeout') {
        kill();
        throw new Error(
          `process ${pid} did not exit within ${timeoutMs} ms of ${signal}; output:\n${watcher.output().slice(-4000)}`,
        );
      }
      return r;
    },
    kill,
  };
}

export async function getJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: unknown; headers: Headers; text: string }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, body, headers: res.headers, text };
}
