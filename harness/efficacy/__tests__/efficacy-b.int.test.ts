// Efficacy, part B: bugs that need faults or contention (a leader cut from its stores, cross-participant deadlocks,
// slow pre-commits). Each is reported by its checker within its seeds; the correct system stays valid.
import { efficacyCases } from './efficacy-cases.ts';

efficacyCases(['no-fencing', 'stale-leader', 'no-lock-timeout', '3pc-timeout-commit', 'cas-no-compare']);
