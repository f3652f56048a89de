// The exporter's remote configuration module (client.ts stops its poller), loaded from the very file the
// applicationinsights library uses: resolved through the library's own require, since the exporter does not export
// it (its package.json "exports"). The bundle replaces this module with a static import of the same file
// (scripts/bundle.ts), because a bundler cannot follow a require resolved at run time.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export function configurationManagerModule(): unknown {
  const fromApp = createRequire(import.meta.url);
  const fromLibrary = createRequire(fromApp.resolve('applicationinsights'));
  const exporter = dirname(fromLibrary.resolve('@azure/monitor-opentelemetry-exporter'));
  return fromLibrary(join(exporter, '_configuration', 'configurationManager.js'));
}
