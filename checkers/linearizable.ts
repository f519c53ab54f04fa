// Linearizability of compare-and-swap registers: the public surface. A model is a plain record of pure functions
// (`model.ts`); the search is Wing & Gong with Lowe's cache (`search.ts`); histories are split per key (`partition.ts`):
// plain register ops, sessions as registers of their revision, DSM records as registers of their version.
export { checkPartitions, linearizable, registerPartitions } from './linearizability/checker.ts';
export {
  casRegister,
  jsonEqual,
  type Model,
  type RegisterInput,
  registerModel,
  type StepResult,
} from './linearizability/model.ts';
export {
  hasRegisterOps,
  historyPartitions,
  type Partition,
  type RegisterOp,
  sessionPartitions,
} from './linearizability/partition.ts';
export { type LinOp, type SearchResult, search } from './linearizability/search.ts';
