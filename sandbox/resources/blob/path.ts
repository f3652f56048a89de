// The name a Blob request addresses, resolved once, so that the gateway authorizes exactly the name Azurite then
// stores. Azure Storage resolves dot segments in the request path after percent-decoding it: `./key`, `%2E/key`,
// `.%2Fkey` and `%2E%2Fkey` all write the blob `key` (Azure/azure-sdk-for-rust#5275, answered 201 by the live
// service), and the naming rules warn that path segments ending in a dot are not kept as written
// (https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata).
// Azurite instead keeps the raw name in the container of the first segment, so a gateway that authorized the
// resolved path and forwarded the raw one let `canary/x/../../probe-status/y` be checked against `probe-status` and
// written into `canary` (issue 24). Here the path is decoded, its dot segments resolved as RFC 3986 §5.2.4 does, and
// the resolved path is what is authorized and forwarded.

export interface BlobPath {
  /** Decoded, dot-free segments: [account, container?, ...blob name parts]. */
  segments: string[];
  /**
   * The request target to forward: the client's own when it had no dot segment (byte for byte, so a shared key
   * signature over it still holds), else the resolved path, each segment percent-encoded, with the original query.
   */
  forwardTarget: string;
  /** Whether dot segments were resolved. */
  resolved: boolean;
}

/** Malformed percent-encoding: Storage answers 400 InvalidUri. */
export class BlobPathError extends Error {}

/** Resolves `.` and `..` segments (RFC 3986 §5.2.4 on a segment list); `..` never climbs above the root. */
export function removeDotSegments(segments: readonly string[]): string[] {
  const out: string[] = [];
  segments.forEach((s, i) => {
    const last = i === segments.length - 1;
    if (s === '.' || s === '..') {
      if (s === '..') out.pop();
      // A trailing dot segment leaves the path ending in '/' (an empty last segment), as RFC 3986 does.
      if (last) out.push('');
      return;
    }
    out.push(s);
  });
  return out;
}

/** Resolves a request target (`/account/container/blob?query`) into the name it addresses. */
export function resolveBlobPath(target: string): BlobPath {
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q);
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    throw new BlobPathError('Malformed percent-encoding in the request path.');
  }
  // The first element is the empty string before the leading '/'.
  const parts = decoded.split('/').slice(1);
  const hasDots = parts.some((p) => p === '.' || p === '..');
  const segments = hasDots ? removeDotSegments(parts) : parts;
  // Azurite splits the decoded path the same way (blobStorageContext.middleware extractStoragePartsFromPath), so the
  // raw target addresses the same container and name unless dot segments had to be resolved.
  const forwardTarget = hasDots ? `/${segments.map(encodeURIComponent).join('/')}${query}` : target;
  return { segments, forwardTarget, resolved: hasDots };
}
