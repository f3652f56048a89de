// Pure parts of the dev host: route templates and precedence, NCRONTAB semantics, log redaction.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compileRoute, comparePrecedence, matchRoute, splitPath } from '../../devhost/routes.ts';
import { sanitize } from '../../devhost/sanitize.ts';
import { jsonProblem, readJsonFile, resolveSettingTokens, StartupError } from '../../devhost/settings.ts';
import { parseSchedule } from '../../devhost/timers.ts';

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
