// The shape of a setting's entry in the catalog, shared by the targets' own settings (targets-catalog.ts) and the
// rest (settings-catalog.ts). Types only; imports nothing.

/** How src/config.ts validates a value (each format is one check there). */
export type SettingFormat =
  | 'https-url'
  | 'https-or-loopback-url'
  | 'guid'
  | 'secret-name'
  | 'container-name'
  | 'queue-name'
  | 'arm-scope'
  | 'resource-group'
  | 'vault-resource-id'
  | 'uami-resource-id'
  | 'token-credentials'
  | 'absolute-path'
  | 'json-path'
  | 'probe-timeout-ms'
  | 'ncrontab'
  | 'cache-ms'
  | 'bool'
  | 'host-list';

export interface SettingFacts {
  /**
   * app: read by src/config.ts; host: read by the Functions platform in Azure only; local: a local-only switch the
   * sandbox sets, never set in Azure; file: only in local.settings.json, for Core Tools.
   */
  group: 'app' | 'host' | 'local' | 'file';
  /** How the app validates it: required of app and local settings (the ones src/config.ts reads). */
  format?: SettingFormat;
  /** Which path or part reads it (app settings). */
  usedBy?: string;
  /** Where the value comes from in Azure. */
  inAzure?: string;
  /** Where it comes from in the sandbox (app settings, host settings it serves), or where it may be set (local). */
  inSandbox?: string;
  meaning: string;
  /** The value in local.settings.sample.json; absent: not in the sample. */
  sample?: string;
  /**
   * 'declaration': an app setting infra/ never sets (so not in the wiring's settings): only a probe declaration's
   * resource fills it, as the settings of the target that probes that resource (src/core/plugins.ts
   * ResourceKindPlugin.settings).
   */
  setBy?: 'declaration';
}
