// Names in a declaration (./schema.ts): what routes, function names, status blobs and telemetry test names are built
// from. Apart from the schema so that reading names needs no zod (src/declaration/names.ts, at start-up).

/** Names of identities, resources and probes. */
export const NAME = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
/** A probe id: a name, or `<identity>/<resource>` (the default). */
export const PROBE_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\/[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)?$/;
