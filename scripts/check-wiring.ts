// Compares infra/identity-wiring.json with the Bicep, the sandbox's healthy world and the settings files, and
// exits 1 on drift. Usage: node scripts/check-wiring.ts [repository root (default: this repository)]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDrift, formatDrift } from './deploy/drift.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = process.argv[2] ?? repo;
const report = checkDrift(root);
const c = report.checked;
console.log(
  `wiring drift check of ${report.root}: ${c.declaredAssignments} declared role assignments, ${c.bicepAssignmentLoops} Bicep role-assignment loops, ${c.sandboxAssignments} sandbox assignments, ${c.federatedCredentials} federated credential(s), ${c.settings} settings`,
);
if (report.problems.length) {
  console.log(`DRIFT (${report.problems.length}):\n${formatDrift(report)}`);
  process.exit(1);
}
console.log('no drift');
