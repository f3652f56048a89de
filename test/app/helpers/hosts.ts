// App instances for the reliability tests (shared with the blackhole benchmark: scripts/lib/appHosts.ts).
export { NEVER, runTimer, startAppHosts, timedGet, type AppHosts } from '../../../scripts/lib/appHosts.ts';
