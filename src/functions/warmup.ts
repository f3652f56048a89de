// At app start, before the first request: the modules the functions load on first use are loaded, and every
// probe's credential and SDK client, the status store's client and the telemetry sender are built. None of it does
// I/O, but on a cold start it is several hundred milliseconds of CPU that would otherwise block the event loop while
// the first requests' deadlines run (bench figure (f)). The host awaits appStart hooks before it sends requests
// (docs/host-notes.md B.4 "Hooks"); importing the app stays as cheap as before (bench figure (c)), because nothing here
// runs at import time. A hook that throws would stop the app, so nothing here throws: a failure is kept by what
// failed (a credential, the store, the sender) and reported by the probe or /api/status that uses it.
import { app } from '@azure/functions';
import { currentApp } from '../orchestration/app.ts';

export async function warmUp(): Promise<void> {
  const root = currentApp();
  const config = root.config;
  const [runner, status, telemetry] = await Promise.all([
    root.probes(),
    root.status(),
    root.telemetry(),
    import('../probes/timerRun.ts'),
    root.privileges(),
  ]);
  await Promise.allSettled([
    runner.prepareClients(config),
    status.store(),
    telemetry.prepareTelemetry(config),
  ]);
}

app.hook.appStart(async () => {
  await warmUp().catch(() => {});
});
