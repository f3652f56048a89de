// Pure parts of the dev host: route templates and precedence, NCRONTAB semantics, log redaction.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compileRoute, comparePrecedence, matchRoute, splitPath } from '../../devhost/routes.ts';
import { sanitize } from '../../devhost/sanitize.ts';
import { jsonProblem, readJsonFile, resolveSettingTokens, StartupError } from '../../devhost/settings.ts';
import type { FunctionSpec } from '../../devhost/loadApp.ts';
import { parseSchedule, TimerScheduler, type TimerClock, type TimerPayload } from '../../devhost/timers.ts';

const match = (template: string, path: string) => matchRoute(compileRoute(template), splitPath(path)!);

describe('route templates', () => {
  it('extracts parameters, optional parameters and catch-alls, case-insensitively for literals', () => {
    assert.deepEqual(match('probes/{path}/{target?}', 'PROBES/federated/blob'), {
      path: 'federated',
      target: 'blob',
    });
    assert.deepEqual(match('probes/{path}/{target?}', 'probes/federated'), { path: 'federated' });
    assert.equal(match('probes/{path}/{target?}', 'probes'), null);
    assert.equal(match('probes/{path}/{target?}', 'probes/a/b/c'), null);
    assert.deepEqual(match('probes/{*rest}', 'probes/x/y'), { rest: 'x/y' });
    assert.deepEqual(match('probes/{*rest}', 'probes'), {});
    assert.deepEqual(match('', ''), {});
  });

  it('applies constraints', () => {
    assert.deepEqual(match('items/{id:int}', 'items/42'), { id: '42' });
    assert.equal(match('items/{id:int}', 'items/x'), null);
    assert.equal(match('items/{id:int:min(10)}', 'items/9'), null);
    assert.deepEqual(match('items/{id:regex(^a+$)}', 'items/aaa'), { id: 'aaa' });
    assert.equal(match('items/{id:guid}', 'items/nope'), null);
    assert.equal(match('items/{id:length(2,3)}', 'items/abcd'), null);
    assert.throws(() => compileRoute('items/{id:nosuch}'), StartupError);
  });

  it('sorts literal < constrained < parameter < catch-all (ASP.NET Core inbound precedence)', () => {
    const templates = ['probes/{*rest}', 'probes/{path}/{target?}', 'probes/{id:int}', 'probes/status'];
    const sorted = templates
      .map(compileRoute)
      .sort(comparePrecedence)
      .map((r) => r.template);
    assert.deepEqual(sorted, [
      'probes/status',
      'probes/{id:int}',
      'probes/{path}/{target?}',
      'probes/{*rest}',
    ]);
  });

  it('rejects templates the real host would not accept', () => {
    assert.throws(() => compileRoute('a/{*rest}/b'), /catch-all/);
    assert.throws(() => compileRoute('a/{x?}/b'), /optional/);
    assert.throws(() => compileRoute('a/{x}/{X}'), /twice/);
  });
});

describe('NCRONTAB schedules (croner configured as NCrontab)', () => {
  it('reads six fields with seconds first, in UTC', () => {
    const next = parseSchedule('30 15 10 * * *', 'UTC').nextRun(new Date('2030-01-01T00:00:00Z'));
    assert.equal(next?.toISOString(), '2030-01-01T10:15:30.000Z');
  });

  it('combines day-of-month and day-of-week with AND, as NCrontab does', () => {
    // Friday the 13th: with OR (vixie cron) the next run would be the first Friday or the 13th.
    const next = parseSchedule('0 0 0 13 * 5', 'UTC').nextRun(new Date('2030-01-01T00:00:00Z'));
    assert.equal(next?.toISOString(), '2030-09-13T00:00:00.000Z');
  });

  it('refuses syntax NCrontab does not have and wrong field counts', () => {
    assert.throws(() => parseSchedule('0 0 0 L * *', 'UTC'), StartupError);
    assert.throws(() => parseSchedule('0 0 * * * MON#1', 'UTC'), StartupError);
    assert.throws(() => parseSchedule('0 0 0 * * * 2030', 'UTC'), /expected 6 fields/);
    assert.throws(() => parseSchedule('0 0 99 * * *', 'UTC'), StartupError);
  });

  it('resolves %NAME% from app settings and names a missing one', () => {
    assert.equal(resolveSettingTokens('%S%', { S: '0 */5 * * * *' }), '0 */5 * * * *');
    assert.throws(
      () => resolveSettingTokens('%PROBE_SCHEDULE%', {}),
      /'%PROBE_SCHEDULE%' does not resolve to a value/,
    );
  });
});

/** A clock that moves only when the test says so, firing the timers that fall due on the way. */
function fakeClock(startMs: number) {
  let now = startMs;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: TimerClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (h) => timers.delete(h as number),
  };
  const advance = async (ms: number) => {
    const until = now + ms;
    for (;;) {
      const due = [...timers.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      now = due[1].at;
      due[1].fn();
      await new Promise((r) => setImmediate(r)); // let the run the timer queued start and finish
    }
    now = until;
  };
  return { clock, advance, pending: () => timers.size };
}

describe('timer schedules on a clock the test controls', () => {
  const spec = (name: string, schedule: string, runOnStartup = false) =>
    ({
      name,
      disabled: false,
      timer: { schedule, runOnStartup, useMonitor: true },
    }) as unknown as FunctionSpec;

  it('fires a six-field sub-minute schedule once per occurrence, with ScheduleStatus null (monitor off)', async () => {
    const { clock, advance } = fakeClock(Date.parse('2026-01-01T00:00:00.500Z'));
    const runs: { name: string; payload: TimerPayload; at: number }[] = [];
    const scheduler = new TimerScheduler(
      [spec('fast', '*/1 * * * * *')],
      async (s, payload) => void runs.push({ name: s.name, payload, at: clock.now() }),
      'UTC',
      clock,
    );
    scheduler.start();
    await advance(400);
    assert.equal(runs.length, 0, 'nothing is due before the next whole second');
    await advance(3000);
    assert.deepEqual(
      runs.map((r) => [r.name, new Date(r.at).toISOString()]),
      [
        ['fast', '2026-01-01T00:00:01.000Z'],
        ['fast', '2026-01-01T00:00:02.000Z'],
        ['fast', '2026-01-01T00:00:03.000Z'],
      ],
    );
    assert.deepEqual(runs[0].payload, {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: null,
      IsPastDue: false,
    });
    await scheduler.stop();
  });

  it('fires a daily schedule at its time, with a fresh monitor status', async () => {
    const { clock, advance } = fakeClock(Date.parse('2026-01-01T00:00:00.500Z'));
    const runs: { payload: TimerPayload; at: number }[] = [];
    const scheduler = new TimerScheduler(
      [spec('daily', '0 0 3 * * *')],
      async (_s, payload) => void runs.push({ payload, at: clock.now() }),
      'UTC',
      clock,
    );
    scheduler.start();
    await advance(3 * 3600_000);
    assert.deepEqual(
      runs.map((r) => new Date(r.at).toISOString()),
      ['2026-01-01T03:00:00.000Z'],
    );
    assert.equal(runs[0].payload.ScheduleStatus?.Last, '0001-01-01T00:00:00', 'a fresh monitor');
    await scheduler.stop();
  });

  it('waits past the longest Node timer for a yearly schedule without firing early', async () => {
    const { clock, advance } = fakeClock(Date.parse('2026-01-02T00:00:00Z'));
    const runs: number[] = [];
    const scheduler = new TimerScheduler(
      [spec('yearly', '0 0 0 1 1 *')],
      async () => void runs.push(clock.now()),
      'UTC',
      clock,
    );
    scheduler.start();
    await advance(200 * 86_400_000);
    assert.equal(runs.length, 0);
    await advance(200 * 86_400_000);
    assert.deepEqual(
      runs.map((r) => new Date(r).toISOString()),
      ['2027-01-01T00:00:00.000Z'],
    );
    await scheduler.stop();
  });
});

describe('log redaction', () => {
  it('hides bearer tokens, JWTs, SAS signatures, account keys and codes', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJvaWQiOiJ4In0.c2lnbmF0dXJl';
    const line = sanitize(
      `Authorization: Bearer abc.def-ghi token=${jwt} https://a.blob/c?sv=1&sig=S1GV4LUE AccountKey=K3Y== ?code=C0DE`,
    );
    for (const secret of ['abc.def-ghi', jwt, 'S1GV4LUE', 'K3Y==', 'C0DE'])
      assert.equal(line.includes(secret), false, secret);
    assert.match(line, /Authorization: \[REDACTED\]/);
    assert.match(line, /sv=1/);
  });
});

describe('JSON files the host reads', () => {
  it('says where a file is not JSON without quoting it (it may hold keys)', () => {
    const text = '{\n  "masterKey": abcdefghijklmnopqrstuvwxyz\n}';
    const problem = jsonProblem(text);
    assert.match(problem ?? '', /^it is not valid JSON/);
    assert.doesNotMatch(problem ?? '', /abcdefgh/);
    // Where V8 gives a position, it becomes a line and column.
    assert.equal(jsonProblem('{"a": 1}\n  x'), 'it is not valid JSON (line 2, column 3)');
    assert.equal(jsonProblem('{"a": 1}'), undefined);
    const dir = mkdtempSync(join(tmpdir(), 'devhost-json-'));
    try {
      const file = join(dir, 'keys.json');
      writeFileSync(file, text);
      assert.throws(
        () => readJsonFile(file, 'keys file'),
        (err: Error) =>
          err instanceof StartupError && !/abcdefgh/.test(err.message) && err.message.includes(file),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
