// The efficacy matrix's simulated column (issue 24): every planted bug reported by its checker in simulation, on the
// matrix's own cases and seeds; the correct system valid on the same seeds. A simulated run replays exactly, so these
// pass or fail the same way on every run of the suite.
import { efficacyMatrix } from '../matrix.ts';
import { efficacyCases } from './efficacy-cases.ts';

efficacyCases(
  efficacyMatrix.map((c) => c.bug),
  'sim',
);
