// reports/: rendering only. `rig run` calls writeReport after checking a run; `rig report` rebuilds either.

export { type Night, writeNight } from './night.ts';
export { writeReport } from './report.ts';
export { ReportInputError } from './run.ts';
export { findRuns, writeIndex, writeMergedIndex } from './store-index.ts';
