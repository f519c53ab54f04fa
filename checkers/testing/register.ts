// Concurrent histories of correct compare-and-swap registers: each op takes effect at one instant between its
// invocation and its completion, so every history produced is linearizable by construction. Driven by a list of
// numbers (fast-check arrays in tests, a seeded PRNG in benchmarks), so failures shrink and replay.
import type { HistoryOp } from '../../format/history.ts';

export interface RegisterSimOptions {
  processes: number;
  keys: number;
  /** Values written are 0..values-1. */
  values: number;
}

type Phase =
  | { kind: 'idle' }
  | { kind: 'invoked'; f: string; key: number; value: unknown }
  | { kind: 'applied'; f: string; key: number; value: unknown; type: 'ok' | 'fail'; output: unknown };

/**
 * Each choice moves one process one step: idle -> invoke a new op; invoked -> apply it to the register now (or crash
 * before it applies: info, never happened); applied -> complete it (or crash after: info, did happen). A crashed
 * process is replaced by a fresh process id, as in Jepsen.
 */
export function simulateRegister(choices: readonly number[], opts: RegisterSimOptions): HistoryOp[] {
  const registers = new Map<number, unknown>();
  const ids = Array.from({ length: opts.processes }, (_, p) => p);
  const phases: Phase[] = ids.map(() => ({ kind: 'idle' }));
  const out: HistoryOp[] = [];
  const emit = (op: Omit<HistoryOp, 'index' | 'time'>) =>
    out.push({ ...op, index: out.length, time: out.length * 1000 } as HistoryOp);

  const step = (p: number, c: number, finishing: boolean) => {
    const phase = phases[p]!;
    const process = ids[p]!;
    if (phase.kind === 'idle') {
      const key = (c >>> 4) % opts.keys;
      const f = ['read', 'write', 'cas'][(c >>> 8) % 3]!;
      const a = (c >>> 10) % opts.values;
      const b = (c >>> 14) % opts.values;
      const value = f === 'read' ? null : f === 'write' ? a : [a, b];
      phases[p] = { kind: 'invoked', f, key, value };
      emit({ type: 'invoke', process, f, key, value });
      return;
    }
    const crash = !finishing && c % 16 === 0;
    if (phase.kind === 'invoked') {
      if (crash) {
        emit({
          type: 'info',
          process,
          f: phase.f,
          key: phase.key,
          value: phase.value,
          error: 'crashed before applying',
        });
        return retire(p);
      }
      phases[p] = apply(phase, registers);
      return;
    }
    if (crash) {
      emit({ type: 'info', process, f: phase.f, key: phase.key, value: phase.value, error: 'crashed after applying' });
      return retire(p);
    }
    const value = phase.f === 'read' ? phase.output : phase.value;
    emit({ type: phase.type, process, f: phase.f, key: phase.key, value });
    phases[p] = { kind: 'idle' };
  };
  const retire = (p: number) => {
    ids[p]! += opts.processes;
    phases[p] = { kind: 'idle' };
  };

  for (const c of choices) step((c >>> 1) % opts.processes, c, false);
  // Finish what is open so that most ops end ok; the crash rule keeps some info ops in the mix.
  for (let p = 0; p < opts.processes; p++) {
    while (phases[p]!.kind !== 'idle') step(p, 1, true);
  }
  return out;
}

function apply(phase: Extract<Phase, { kind: 'invoked' }>, registers: Map<number, unknown>): Phase {
  const current = registers.has(phase.key) ? registers.get(phase.key) : null;
  if (phase.f === 'read') return { ...phase, kind: 'applied', type: 'ok', output: current };
  if (phase.f === 'write') {
    registers.set(phase.key, phase.value);
    return { ...phase, kind: 'applied', type: 'ok', output: undefined };
  }
  const [from, to] = phase.value as [number, number];
  if (current !== from) return { ...phase, kind: 'applied', type: 'fail', output: undefined };
  registers.set(phase.key, to);
  return { ...phase, kind: 'applied', type: 'ok', output: undefined };
}
