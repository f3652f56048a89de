// Writes the files generated from the catalog (common/catalog.ts): infra/identity-wiring.json,
// local.settings.sample.json and the settings tables of docs/settings.md, declarations/default.json and declarations/probes.schema.json. With --check, writes nothing and exits 1
// naming every file that differs from what the catalog generates.
// Usage: npm run catalog [-- --check]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generated } from './catalog/generate.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const stale: string[] = [];
for (const [rel, text] of Object.entries(await generated(root))) {
  const file = join(root, rel);
  if (existsSync(file) && readFileSync(file, 'utf8') === text) continue;
  stale.push(rel);
  if (!check) writeFileSync(file, text);
}
if (check && stale.length) {
  console.error(`not generated from common/catalog.ts (run npm run catalog): ${stale.join(', ')}`);
  process.exit(1);
}
console.log(stale.length ? `wrote ${stale.join(', ')}` : 'every generated file matches the catalog');
