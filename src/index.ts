// Entry point loaded by the Functions worker (package.json "main"): importing each module in functions/ registers
// its functions. Nothing else runs at import time beyond reading the settings once.
import './functions/probes.ts';
import './functions/status.ts';
import './functions/privileges.ts';
