// Conditional requests for the JSON status view: a weak ETag over what the view says, leaving out what only ages
// (generatedAt and every *AgeMs / ageMs field), so that a poll of an unchanged status is answered 304 from the
// service's cache: no storage read, no body. A view object is hashed once (views are cached, never mutated).
import { createHash } from 'node:crypto';

const AGE_KEY = /^(generatedAt|ageMs|.*AgeMs)$/;
const tags = new WeakMap<object, string>();

/** The view's weak ETag, e.g. `W/"3f1c…"`. */
export function statusEtag(view: object): string {
  let tag = tags.get(view);
  if (!tag) {
    const body = JSON.stringify(view, (key, value) => (AGE_KEY.test(key) ? undefined : value));
    tag = `W/"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    tags.set(view, tag);
  }
  return tag;
}

/**
 * Whether an If-None-Match header names `etag`: weak comparison, `*` matches any
 * (https://www.rfc-editor.org/rfc/rfc9110#section-13.1.2).
 */
export function etagMatches(ifNoneMatch: string | null | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = (t: string) => t.trim().replace(/^W\//, '');
  const want = opaque(etag);
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || opaque(t) === want);
}
