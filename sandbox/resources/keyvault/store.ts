// One vault's secrets: versions, soft delete, recover and purge (docs/data-plane.md §1.2, §1.5). Names are
// case-insensitive in Key Vault, so entries are keyed on the lowercased name and keep the name as first created.
// Times are integer unix seconds, as on the wire.
import { randomBytes } from 'node:crypto';

export interface SecretAttributesInput {
  enabled?: boolean;
  nbf?: number;
  exp?: number;
}

export interface SecretVersion {
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
}

export interface SecretEntry {
  name: string;
  /** Oldest first; the last one is "latest". */
  versions: SecretVersion[];
}

export interface DeletedEntry extends SecretEntry {
  deletedDate: number;
  scheduledPurgeDate: number;
}

/** Soft delete retention of a vault created today (soft delete is always on, 7-90 days; default 90). */
export const RECOVERABLE_DAYS = 90;
export const RECOVERY_LEVEL = 'Recoverable+Purgeable';

const nowSeconds = () => Math.floor(Date.now() / 1000);

export class SecretStore {
  #live = new Map<string, SecretEntry>();
  #deleted = new Map<string, DeletedEntry>();

  get(name: string): SecretEntry | undefined {
    return this.#live.get(name.toLowerCase());
  }

  getDeleted(name: string): DeletedEntry | undefined {
    return this.#deleted.get(name.toLowerCase());
  }

  isDeleted(name: string): boolean {
    return this.#deleted.has(name.toLowerCase());
  }

  /** Every live secret, ordered by name. */
  list(): SecretEntry[] {
    return [...this.#live.values()].sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  }

  listDeleted(): DeletedEntry[] {
    return [...this.#deleted.values()].sort((a, b) =>
      a.name.toLowerCase().localeCompare(b.name.toLowerCase()),
    );
  }

  /** A PUT: always a new version, which becomes the latest. The caller checks the deleted state first. */
  set(
    name: string,
    value: string,
    opts: { contentType?: string; tags?: Record<string, string>; attributes?: SecretAttributesInput } = {},
  ): { entry: SecretEntry; version: SecretVersion } {
    const key = name.toLowerCase();
    const entry = this.#live.get(key) ?? { name, versions: [] };
    const t = nowSeconds();
    const version: SecretVersion = {
      version: randomBytes(16).toString('hex'),
      value,
      enabled: opts.attributes?.enabled ?? true,
      created: t,
      updated: t,
      ...(opts.contentType !== undefined ? { contentType: opts.contentType } : {}),
      ...(opts.tags !== undefined ? { tags: opts.tags } : {}),
      ...(opts.attributes?.nbf !== undefined ? { nbf: opts.attributes.nbf } : {}),
      ...(opts.attributes?.exp !== undefined ? { exp: opts.attributes.exp } : {}),
    };
    entry.versions.push(version);
    this.#live.set(key, entry);
    return { entry, version };
  }

  update(
    version: SecretVersion,
    patch: { contentType?: string; tags?: Record<string, string>; attributes?: SecretAttributesInput },
  ): void {
    if (patch.contentType !== undefined) version.contentType = patch.contentType;
    if (patch.tags !== undefined) version.tags = patch.tags;
    if (patch.attributes?.enabled !== undefined) version.enabled = patch.attributes.enabled;
    if (patch.attributes?.nbf !== undefined) version.nbf = patch.attributes.nbf;
    if (patch.attributes?.exp !== undefined) version.exp = patch.attributes.exp;
    version.updated = nowSeconds();
  }

  /** DELETE removes every version at once into the soft-deleted state (§1.5). */
  delete(name: string): DeletedEntry | undefined {
    const key = name.toLowerCase();
    const entry = this.#live.get(key);
    if (!entry) return undefined;
    this.#live.delete(key);
    const t = nowSeconds();
    const deleted: DeletedEntry = {
      ...entry,
      deletedDate: t,
      scheduledPurgeDate: t + RECOVERABLE_DAYS * 86400,
    };
    this.#deleted.set(key, deleted);
    return deleted;
  }

  purge(name: string): boolean {
    return this.#deleted.delete(name.toLowerCase());
  }

  recover(name: string): SecretEntry | undefined {
    const key = name.toLowerCase();
    const d = this.#deleted.get(key);
    if (!d) return undefined;
    this.#deleted.delete(key);
    const entry: SecretEntry = { name: d.name, versions: d.versions };
    this.#live.set(key, entry);
    return entry;
  }
}
