// What the status page's tests and benchmark do to a running stack (appStack.ts) and an open page: run every probe,
// switch scenarios, count Blob requests, read what the sandbox issued, and read the page's cells and rendered DOM.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { PATH_IDS } from '../../src/ids.ts';
import type { Stack } from './appStack.ts';

export async function admin(stack: Stack, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${stack.sandbox.connection.endpoints.admin}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  assert.ok(res.ok, `${method} ${path}: HTTP ${res.status}`);
  return res.json();
}

/** Runs every path's probes over HTTP, one path after the other (each records its results in the status store). */
export async function probeAll(stack: Stack, key: string): Promise<void> {
  for (const path of PATH_IDS) {
    const r = await fetch(`${stack.api}/probes/${path}`, { headers: { 'x-functions-key': key } });
    assert.equal(r.status, 200, `probe ${path}: HTTP ${r.status}`);
    await r.arrayBuffer();
  }
}

/** Host settings that disable every timer function, so that only what a test does touches storage. */
export const TIMERS_OFF: NodeJS.ProcessEnv = Object.fromEntries(
  PATH_IDS.map((p) => [`AzureWebJobs.timer-${p}.Disabled`, 'true']),
);

/** Requests the sandbox's Blob gateway (in front of Azurite) answered since the last reset. */
export async function blobRequests(stack: Stack, reset = false): Promise<number> {
  const c = (await admin(stack, reset ? 'POST' : 'GET', `/_sandbox/counters${reset ? '/reset' : ''}`)) as {
    requestsByEndpoint: Record<string, number>;
  };
  return c.requestsByEndpoint.blob ?? 0;
}

/**
 * Blob requests one status read costs: after the status cache period has passed, one JSON status request with
 * nothing else running reads the store once.
 */
export async function blobRequestsPerStatusRead(stack: Stack, key: string, cacheMs: number): Promise<number> {
  await new Promise((r) => setTimeout(r, cacheMs + 200));
  await blobRequests(stack, true);
  const r = await fetch(`${stack.api}/status?format=json`, { headers: { 'x-functions-key': key } });
  assert.equal(r.status, 200);
  await r.arrayBuffer();
  return blobRequests(stack);
}

/** Every token, assertion and secret the sandbox issued so far. */
export async function issued(stack: Stack): Promise<string[]> {
  const i = (await admin(stack, 'GET', '/_sandbox/issued')) as Record<string, string[]>;
  return [...i.tokens, ...i.assertions, ...i.secrets];
}

export interface CellInfo {
  key: string;
  outcome: string;
  oid: string | null;
}

export function cells(page: Page): Promise<CellInfo[]> {
  return page.$$eval('button.cell', (els) =>
    els.map((e) => ({
      key: e.getAttribute('data-key') ?? '',
      outcome: e.getAttribute('data-outcome') ?? '',
      oid: e.querySelector('[data-oid]')?.getAttribute('data-oid') ?? null,
    })),
  );
}

/** The rendered DOM (markup and visible text) of the page as it is now. */
export async function rendered(page: Page): Promise<string> {
  const html = await page.locator('html').evaluate((e) => e.outerHTML);
  return `${html}\n${await page.locator('body').innerText()}`;
}

/** The values of `secrets` (8 chars or more) that occur in `text`, shortened for a failure message. */
export function leaks(text: string, secrets: string[]): string[] {
  return secrets.filter((s) => s.length >= 8 && text.includes(s)).map((s) => `${s.slice(0, 12)}…`);
}
