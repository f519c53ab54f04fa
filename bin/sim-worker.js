// The entry of an exploration's worker thread (sim/explore.ts): TypeScript through tsx, as bin/rig.js.
import { register } from 'tsx/esm/api';

register();
await import('../harness/sim/explore-worker.ts');
