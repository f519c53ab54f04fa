// Efficacy, part B: bugs that need faults or contention (a leader cut from Redis, cross-participant deadlocks, slow
// pre-commits). Each is reported by its checker within its seeds; the correct system stays valid.
import { it } from 'vitest';
import { efficacyCases } from './efficacy-cases.ts';

efficacyCases(['stale-leader', 'no-lock-timeout', '3pc-timeout-commit']);

// no-fencing is in the matrix and in `rig efficacy`, but no short seeded run exposes it reliably yet: the new
// leader's recovery (first decision wins) and the DSM's version check pre-empt the deposed leader's late writes,
// so the stale token rarely lands. Until a workload or nemesis exposes it every time, it is not asserted here.
it.skip('no-fencing is reported by single-leader (skipped: not yet exposed reliably by a short seeded run)', () => {});
