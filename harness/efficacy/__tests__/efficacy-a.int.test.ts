// Efficacy, part A: bugs that show on the first seed of a fault-free run. Each planted bug is reported by its
// checker, and the correct system is valid on the same seeds. (Part B holds the fault-driven bugs; the two files
// run side by side.)
import { efficacyCases } from './efficacy-cases.ts';

efficacyCases(['no-decision-log', 'unordered-events', 'early-commit', 'emit-before-commit', 'release-keeps-capacity']);
