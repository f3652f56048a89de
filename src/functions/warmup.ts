// At app start, before the first request: the modules the functions load on first use are loaded, and every
// probe's credential and SDK client, the status store's client and the telemetry sender are built. None of it does
// I/O, but on a cold start it is several hundred milliseconds of CPU that would otherwise block the event loop while
// the first requests' deadlines run (bench figure (f)). The host awaits appStart hooks before it sends requests
// (docs/host-notes.md B.4 "Hooks"); importing the app stays as cheap as before (bench figure (c)), because nothing here
// runs at import time. A hook that throws would stop the app, so nothing here throws: a failure is kept by what
// failed (a credential, the store, the sender) and reported by the probe or /api/status that uses it.
import { app } from '@azure/functions';
import { getConfig } from '../config.ts';

export async function warmUp(): Promise<void> {
  const config = getConfig();
  const [runner, store, telemetry] = await Promise.all([
    import('../probes/runner.ts'),
    import('../status/store.ts'),
    import('../telemetry/index.ts'),
    import('../status/service.ts'),
    import('../probes/timerRun.ts'),
    import('../privileges/check.ts'),
  ]);
  await Promise.allSettled([
    runner.prepareClients(config),
    store.statusStore(config),
    telemetry.prepareTelemetry(config),
  ]);
}

app.hook.appStart(async () => {
  await warmUp().catch(() => {});
});
