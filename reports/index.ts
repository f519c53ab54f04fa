// reports/: rendering only. `rig run` calls writeReport after checking a run; `rig report` rebuilds either.
export { writeReport } from './report.ts';
export { ReportInputError } from './run.ts';
export { findRuns, writeIndex } from './store-index.ts';
