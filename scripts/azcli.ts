// The real Azure CLI against a running sandbox, in one command (see docs/local.md "The Azure CLI against the sandbox"):
//
//   npm run azcli -- install                 install azure-cli from PyPI into .cache/azcli (cached; CI runs this)
//   npm run azcli -- group show -n rg-…      run `az …` as the world's operator against .sandbox/connection.json
//   eval "$(npm run --silent azcli -- env)"  export the same environment into your shell (or: source scripts/sandbox-az.sh)
//
// Options before the az arguments: --connection FILE (default .sandbox/connection.json). The CLI's configuration
// lives in .cache/azcli/sandbox-config (never ~/.azure); it is set up again whenever the sandbox changed.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  AZCLI_DIR,
  REPO_ROOT,
  findAz,
  installAzCli,
  prepareSandboxConfig,
  sandboxAzEnv,
  type SandboxForAz,
} from './lib/azcli.ts';

const CONFIG_DIR = join(AZCLI_DIR, 'sandbox-config');

function fail(message: string): never {
  console.error(`azcli: ${message}`);
  process.exit(2);
}

function readConnection(file: string): SandboxForAz {
  if (!existsSync(file)) fail(`no sandbox connection file at ${file}: start one with \`npm run sandbox\``);
  const c = JSON.parse(readFileSync(file, 'utf8')) as SandboxForAz & { pid?: number };
  if (c.pid) {
    try {
      process.kill(c.pid, 0);
    } catch {
      fail(
        `the sandbox that wrote ${file} (pid ${c.pid}) is not running: start one with \`npm run sandbox\``,
      );
    }
  }
  return c;
}

/** A shell-quoted `export NAME='value'` line. */
const exportLine = (k: string, v: string) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`;

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'install') {
    const r = installAzCli((l) => console.error(l));
    console.log(
      `azure-cli ${r.version} ${r.installed ? `installed in ${r.seconds} s` : 'already installed'} (${r.az.path})`,
    );
    return;
  }
  let connectionFile = join(REPO_ROOT, '.sandbox', 'connection.json');
  if (argv[0] === '--connection') {
    if (!argv[1]) fail('--connection needs a file');
    connectionFile = resolve(argv[1]);
    argv = argv.slice(2);
  }
  const cli = findAz() ?? fail('no Azure CLI: run `npm run azcli -- install` (or put az on PATH)');
  const sandbox = readConnection(connectionFile);
  await prepareSandboxConfig(cli, sandbox, CONFIG_DIR);
  const env = sandboxAzEnv(cli, sandbox, CONFIG_DIR);
  if (argv[0] === 'env') {
    for (const k of ['AZURE_CONFIG_DIR', 'REQUESTS_CA_BUNDLE', 'AZURE_CORE_INSTANCE_DISCOVERY', 'PATH'])
      console.log(exportLine(k, env[k]));
    for (const [k, v] of Object.entries(env)) if (k.startsWith('AZURE_CORE_')) console.log(exportLine(k, v));
    return;
  }
  if (argv.length === 0) fail('usage: npm run azcli -- install | env | <az arguments>');
  const child = spawn(cli.path, argv, { env, stdio: 'inherit' });
  child.on('close', (code) => process.exit(code ?? 1));
}

main(process.argv.slice(2)).catch((err: Error) => fail(err.message));
