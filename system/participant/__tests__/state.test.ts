// The participant state machine: which durable facts mean which state, and what each request does in each state.
import { describe, expect, it } from 'vitest';
import type { TxnState } from '../../common/contract.ts';
import { type Action, deriveState, plan } from '../state.ts';

describe('deriveState', () => {
  it('lets the committed row win over everything else', () => {
    expect(deriveState({ rowState: 'committed', prepared: false, precommitted: true })).toBe('committed');
    expect(deriveState({ rowState: 'aborted', prepared: false, precommitted: true })).toBe('aborted');
  });
  it('reads prepared and precommitted from the prepared transaction and the pre-commit row', () => {
    expect(deriveState({ rowState: undefined, prepared: true, precommitted: false })).toBe('prepared');
    expect(deriveState({ rowState: undefined, prepared: true, precommitted: true })).toBe('precommitted');
  });
  it('treats a pre-commit row without a prepared transaction as unknown (a half-finished abort)', () => {
    expect(deriveState({ rowState: undefined, prepared: false, precommitted: true })).toBe('unknown');
    expect(deriveState({ rowState: undefined, prepared: false, precommitted: false })).toBe('unknown');
  });
});

describe('plan', () => {
  const table: Array<[Action, TxnState, ReturnType<typeof plan>]> = [
    ['prepare', 'unknown', 'apply'],
    ['prepare', 'prepared', 'ack'],
    ['prepare', 'committed', 'ack'],
    ['prepare', 'aborted', 'refuse'],
    ['precommit', 'prepared', 'apply'],
    ['precommit', 'precommitted', 'ack'],
    ['precommit', 'unknown', 'conflict'],
    ['precommit', 'aborted', 'conflict'],
    ['commit', 'prepared', 'apply'],
    ['commit', 'precommitted', 'apply'],
    ['commit', 'committed', 'ack'],
    ['commit', 'unknown', 'conflict'],
    ['commit', 'aborted', 'conflict'],
    ['abort', 'unknown', 'apply'],
    ['abort', 'prepared', 'apply'],
    ['abort', 'precommitted', 'apply'],
    ['abort', 'aborted', 'ack'],
    ['abort', 'committed', 'conflict'],
  ];
  it.each(table)('%s in %s → %s', (action, state, expected) => {
    expect(plan(action, state)).toBe(expected);
  });
  it('never lets a committed txn be aborted nor an aborted one be committed or prepared again', () => {
    expect(plan('abort', 'committed')).toBe('conflict');
    expect(plan('commit', 'aborted')).toBe('conflict');
    expect(plan('prepare', 'aborted')).not.toBe('apply');
  });
});
