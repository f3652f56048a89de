// The bundle `npm run build` makes (scripts/bundle.ts, dist/app): what ships and what every local host runs. Its
// source maps name our files and only ours, and Node uses them once the entry has run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { APP_DIR, ROOT } from '../../scripts/bundle.ts';

const dir = join(ROOT, APP_DIR);
const maps = () => readdirSync(dir).filter((f) => f.endsWith('.js.map'));

describe('the bundle (dist/app)', { timeout: 60_000 }, () => {
  it('package.json "main" is its entry', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string };
    assert.equal(pkg.main, `${APP_DIR}/index.js`);
    assert.ok(existsSync(join(ROOT, pkg.main)), 'run npm run build');
  });

  it('maps only our own sources (src/, common/), each of which exists', () => {
    assert.ok(maps().length > 0);
    for (const f of maps()) {
      const map = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { sources: string[] };
      for (const s of map.sources) {
        const rel = resolve(dir, s).slice(ROOT.length + 1);
        assert.match(rel, /^(src|common)\/.+\.ts$/, `${f}: ${s}`);
        assert.ok(existsSync(resolve(dir, s)), `${f}: ${s}`);
      }
    }
  });

  it('a position in a chunk maps back to the line of ours it was built from', () => {
    // String literals of src/functions/ that the minifier keeps as they are.
    const literals = ['Name an identity path', 'still writing when the answer was due', 'identity-probes'];
    const js = readFileSync(join(dir, 'main.js'), 'utf8').split('\n');
    const map = new SourceMap(JSON.parse(readFileSync(join(dir, 'main.js.map'), 'utf8')));
    let checked = 0;
    for (const literal of literals) {
      const line = js.findIndex((l) => l.includes(literal));
      if (line < 0) continue;
      const entry = map.findEntry(line, js[line].indexOf(literal)) as {
        originalSource?: string;
        originalLine?: number;
      };
      assert.ok(entry.originalSource, literal);
      const source = readFileSync(resolve(dir, entry.originalSource), 'utf8').split('\n');
      assert.ok(
        source[entry.originalLine!].includes(literal),
        `${literal} -> ${entry.originalSource}:${entry.originalLine! + 1}`,
      );
      checked++;
    }
    assert.ok(checked >= 2, 'the literals are in main.js');
  });

  it('loading the entry turns source maps on: Node has the map of the chunk that registers the functions', () => {
    const code = `
      const { findSourceMap } = await import('node:module');
      const { pathToFileURL } = await import('node:url');
      await import(pathToFileURL(${JSON.stringify(join(dir, 'index.js'))}).href);
      const main = findSourceMap(pathToFileURL(${JSON.stringify(join(dir, 'main.js'))}).href);
      console.log(JSON.stringify({
        enabled: process.sourceMapsEnabled,
        mainMapped: main !== undefined,
        mainSource: main?.payload.sources.some((s) => s.endsWith('src/functions/probes.ts')),
      }));`;
    // Outside a Functions host @azure/functions runs in test mode; its warnings go to stderr.
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
      timeout: 30_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, boolean>;
    assert.deepEqual(out, { enabled: true, mainMapped: true, mainSource: true });
  });
});
