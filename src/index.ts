// Entry point loaded by the Functions worker (package.json "main"): importing each module in functions/ registers
// its functions. Nothing else runs at import time beyond reading the settings once; the
// work of a first use is done when the host starts the app (functions/warmup.ts).
import './functions/probes.ts';
import './functions/status.ts';
import './functions/privileges.ts';
import './functions/warmup.ts';
