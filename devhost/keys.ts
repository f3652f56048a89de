// Function and host keys, enforced only with --enable-auth (Core Tools bypasses authorization locally unless started
// with --enableAuth; Learn "functions-bindings-http-webhook-trigger"). The presented key comes from the
// `x-functions-key` header, else the `code` query parameter: the header wins (host AuthenticationLevelHandler.cs).
// `function` level accepts that function's keys, any host key or the master key; `admin` only the master key.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { addSecret } from './sanitize.ts';
import { readJsonFile, StartupError } from './settings.ts';

export interface KeysFile {
  masterKey: string;
  hostKeys: Record<string, string>;
  functionKeys: Record<string, Record<string, string>>;
}

export type AuthLevel = 'anonymous' | 'function' | 'admin';

/** Where the keys live unless --keys-file says otherwise (git-ignored). */
export function defaultKeysFile(appDir: string): string {
  return join(appDir, '.devhost', 'keys.json');
}

function newKey(): string {
  return randomBytes(40).toString('base64url');
}

/**
 * Loads the keys file, creating it (mode 0600, random keys) on first use and adding a `default` key for every
 * function that has none yet. The file is git-ignored (.devhost/).
 */
export function loadOrCreateKeys(
  path: string,
  functionNames: string[],
): { keys: KeysFile; created: boolean } {
  let keys: KeysFile;
  let created = false;
  let changed = false;
  if (existsSync(path)) {
    keys = readJsonFile(path, 'keys file') as KeysFile;
    if (typeof keys.masterKey !== 'string' || keys.masterKey.length < 16) {
      throw new StartupError(`keys file ${path} has no usable "masterKey" (at least 16 characters)`);
    }
    keys.hostKeys ??= {};
    keys.functionKeys ??= {};
  } else {
    keys = { masterKey: newKey(), hostKeys: { default: newKey() }, functionKeys: {} };
    created = true;
  }
  for (const name of functionNames) {
    if (!keys.functionKeys[name] || Object.keys(keys.functionKeys[name]).length === 0) {
      keys.functionKeys[name] = { default: newKey() };
      changed = true;
    }
  }
  if (created || changed) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, JSON.stringify(keys, null, 2) + '\n', { mode: 0o600 });
    chmodSync(path, 0o600);
  }
  for (const k of allKeys(keys)) addSecret(k);
  return { keys, created };
}

function allKeys(keys: KeysFile): string[] {
  return [
    keys.masterKey,
    ...Object.values(keys.hostKeys),
    ...Object.values(keys.functionKeys).flatMap((fk) => Object.values(fk)),
  ];
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The key a request presents: the `x-functions-key` header first, then the `code` query parameter. */
export function presentedKey(header: string | undefined, query: URLSearchParams): string | undefined {
  if (header !== undefined && header !== '') return header;
  return query.get('code') ?? undefined;
}

export function isAuthorized(
  keys: KeysFile,
  level: AuthLevel,
  functionName: string | undefined,
  key: string | undefined,
): boolean {
  if (level === 'anonymous') return true;
  if (!key) return false;
  if (same(key, keys.masterKey)) return true;
  if (level === 'admin') return false;
  if (Object.values(keys.hostKeys).some((k) => same(key, k))) return true;
  const fk = functionName ? keys.functionKeys[functionName] : undefined;
  return fk !== undefined && Object.values(fk).some((k) => same(key, k));
}
