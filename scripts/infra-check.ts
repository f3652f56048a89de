// npm run infra:check: step 1 of `npm run deploy` on its own. Compiles infra/main.bicep and lints it with the
// operator's Bicep CLI (infra/bicepconfig.json; every warning is an error) and checks infra/main.parameters.json
// against the template's parameters. Changes nothing anywhere; exit 0 when all pass, 1 when one fails (with what
// failed, or how to install Bicep when there is none). scripts/deploy/bicep.ts has the details.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bicepCandidates, compileAndLint, onPath, PARAMETERS, TEMPLATE } from './deploy/bicep.ts';
import { makeExec } from './deploy/exec.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function infraCheck(log: (line: string) => void = (l) => process.stdout.write(`${l}\n`)) {
  log(`infra:check: compile and lint ${TEMPLATE}, check ${PARAMETERS}`);
  try {
    const r = await compileAndLint(
      makeExec(ROOT),
      ROOT,
      bicepCandidates(process.env, (n) => onPath(n)),
      log,
    );
    log(
      `   ok: compiled (${r.templateBytes} bytes of ARM JSON), linted with no warning; ${r.parameters.length} parameters checked`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`infra:check: ${(err as Error).message}\n`);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await infraCheck();
}
