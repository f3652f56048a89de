// `npm run sandbox [-- --scenario NAME] [--declaration FILE] [--state-dir DIR] [--propagation-delay S] [--token-lifetime S]`:
// runs the local Azure in the foreground until Ctrl-C, and prints where the connection file is.
import { parseArgs } from 'node:util';
import { startSandbox } from './index.ts';
import { listScenarios } from './world.ts';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'healthy' },
    declaration: { type: 'string' },
    'state-dir': { type: 'string' },
    'propagation-delay': { type: 'string' },
    'token-lifetime': { type: 'string' },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(`usage: npm run sandbox -- [--scenario NAME] [--declaration FILE] [--state-dir DIR] [--propagation-delay SECONDS] [--token-lifetime SECONDS]
scenarios: ${listScenarios().join(', ')}
--declaration FILE: build the world from a probe declaration (docs/declaration.md "Trying a declaration locally")`);
  process.exit(0);
}

const num = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name} must be a non-negative number of seconds`);
    process.exit(2);
  }
  return n;
};

let sandbox;
try {
  sandbox = await startSandbox({
    scenario: values.scenario,
    ...(values.declaration !== undefined ? { declaration: values.declaration } : {}),
    stateDir: values['state-dir'],
    propagationDelaySeconds: num('propagation-delay', values['propagation-delay']),
    tokenLifetimeSeconds: num('token-lifetime', values['token-lifetime']),
    quiet: values.quiet,
  });
} catch (err) {
  console.error(`sandbox: ${(err as Error).message}`);
  process.exit(1);
}

const c = sandbox.connection;
console.log(`sandbox ready: scenario '${c.scenario}'`);
if (c.declaration) {
  const d = c.declaration;
  console.log(
    `  declaration '${d.name}' version ${d.version}: ${Object.keys(d.identities).length} identities, ${Object.keys(d.resources).length} resources, ${d.grants.length} role assignments from allowed probes`,
  );
}
for (const [name, url] of Object.entries(c.endpoints)) console.log(`  ${name.padEnd(14)} ${url}`);
console.log(`connection file: ${sandbox.connectionFile}`);
console.log('Ctrl-C to stop.');

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\nsandbox: ${signal}, stopping`);
  await sandbox.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
