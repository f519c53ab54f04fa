// The participant core over a tiny in-memory ParticipantStore (no Postgres): it proves the core needs only its
// ports, and checks the core's own rules on their own: a repeated prepare answers from the stored state, a
// decision for a txn unknown here leaves a tombstone that refuses a late prepare, a prepare the domain refuses
// never reaches the store, and a stale token is refused before anything is touched.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { type Clock, systemClock } from '../../common/clock.ts';
import type { PrepareRequest } from '../../common/contract.ts';
import { ServiceError } from '../../common/errors.ts';
import { Faults } from '../../common/faults.ts';
import type { Logger } from '../../common/log.ts';
import type { Reservation } from '../domain.ts';
import { Fence } from '../fence.ts';
import { createParticipantMetrics } from '../metrics.ts';
import { Participant } from '../participant.ts';
import type { LockWaits, ParticipantStore, PreparedTxn, PrepareOutcome, TxnFacts } from '../ports.ts';

/** The durable state as plain facts by txn: just enough of the Postgres store's meaning for these cases. */
class FakeStore implements ParticipantStore {
  readonly txns = new Map<string, TxnFacts & { preparedToken: number }>();
  readonly prepares: Array<{ txnId: string; resources: string[] }> = [];
  readonly tombstones: Array<{ txnId: string; token: number; reason: string }> = [];

  async facts(txnId: string): Promise<TxnFacts> {
    const t = this.txns.get(txnId);
    return t ? { state: t.state, token: t.token } : { state: 'unknown', token: null };
  }
  async prepare(txnId: string, req: PrepareRequest, reservations: Reservation[]): Promise<PrepareOutcome> {
    this.prepares.push({ txnId, resources: reservations.map((r) => r.resource) });
    if (this.txns.has(txnId)) return { existing: true, lockWaitMs: 0 };
    this.txns.set(txnId, { state: 'prepared', token: null, preparedToken: req.token });
    return { lockWaitMs: 0 };
  }
  async precommit(txnId: string, token: number): Promise<boolean> {
    return this.move(txnId, ['prepared'], 'precommitted', token);
  }
  async commitPrepared(txnId: string): Promise<boolean> {
    return this.move(txnId, ['prepared', 'precommitted'], 'committed');
  }
  async rollbackPrepared(txnId: string): Promise<boolean> {
    if (!['prepared', 'precommitted'].includes(this.txns.get(txnId)?.state ?? 'unknown')) return false;
    this.txns.delete(txnId);
    return true;
  }
  async tombstone(txnId: string, token: number, _sessionId: string | null, reason: string): Promise<void> {
    this.tombstones.push({ txnId, token, reason });
    this.txns.set(txnId, { state: 'aborted', token, preparedToken: token });
  }
  async prepared(): Promise<PreparedTxn[]> {
    return [];
  }
  async totals(): Promise<Record<string, unknown>> {
    return {};
  }
  private move(txnId: string, from: TxnFacts['state'][], to: TxnFacts['state'], token?: number): boolean {
    const t = this.txns.get(txnId);
    if (!t || !from.includes(t.state)) return false;
    t.state = to;
    t.token = token ?? t.preparedToken;
    return true;
  }
}

const clock: Clock = { ...systemClock(), wallMs: () => 0, monotonicMs: () => 0 };
const logger: Logger = { log: () => {}, info: () => {}, warn: () => {}, error: () => {}, observe: () => {} };
const noWaits: LockWaits = { snapshot: async () => ({ edges: [], ageMs: 0 }), cancel: async () => false };

function setup(highestToken = 1) {
  const store = new FakeStore();
  const participant = new Participant({
    store,
    // The resource manager's rule in small: one reservation per cell, and nothing to reserve is a no vote.
    domain: {
      reservations: (req) =>
        req.cells.length === 0
          ? 'unknown_cell'
          : req.cells.map((cell) => ({ resource: `cell:${cell}`, statement: 'reserve_cell', params: [cell] })),
    },
    fence: new Fence(highestToken, async (token) => token),
    logger,
    metrics: createParticipantMetrics(new Registry()),
    faults: new Faults(1, clock, () => {}),
    waits: noWaits,
    inFlightMax: 8,
  });
  return { store, participant };
}

function request(token: number, cells: string[]): PrepareRequest {
  return { token, sessionId: 's-1', protocol: '2pc', subscriberId: 'sub-1', kind: 'create', cells, amount: 1 };
}

describe('Participant over a fake ParticipantStore', () => {
  it('answers a repeated prepare from the stored state, changing nothing', async () => {
    const { store, participant } = setup();
    expect(await participant.prepare('t1', request(1, ['c1', 'c2']))).toEqual({ vote: 'yes' });
    expect(await participant.prepare('t1', request(1, ['c1', 'c2']))).toEqual({ vote: 'yes' });
    expect(store.prepares).toEqual([
      { txnId: 't1', resources: ['cell:c1', 'cell:c2'] },
      { txnId: 't1', resources: ['cell:c1', 'cell:c2'] },
    ]);
    expect(await participant.status('t1')).toEqual({ txnId: 't1', state: 'prepared', token: null });
    expect(store.tombstones).toEqual([]);
  });

  it('tombstones an abort of a txn unknown here, so a late prepare of it votes no', async () => {
    const { store, participant } = setup();
    expect(await participant.abort('t2', 3, 'leader')).toEqual({ state: 'aborted' });
    expect(store.tombstones).toEqual([{ txnId: 't2', token: 3, reason: 'leader' }]);
    expect(await participant.prepare('t2', request(3, ['c1']))).toEqual({ vote: 'no', reason: 'tombstoned' });
    expect(await participant.status('t2')).toEqual({ txnId: 't2', state: 'aborted', token: 3 });
  });

  it('votes no on a prepare the domain refuses without reaching the store, and tombstones it', async () => {
    const { store, participant } = setup();
    expect(await participant.prepare('t3', request(1, []))).toEqual({ vote: 'no', reason: 'unknown_cell' });
    expect(store.prepares).toEqual([]);
    expect(store.tombstones).toEqual([{ txnId: 't3', token: 1, reason: 'unknown_cell' }]);
  });

  it('commits a prepared txn once, and acknowledges the repeat', async () => {
    const { participant } = setup();
    await participant.prepare('t4', request(2, ['c1']));
    expect(await participant.commit('t4', 2, 'leader')).toEqual({ state: 'committed' });
    expect(await participant.commit('t4', 2, 'leader')).toEqual({ state: 'committed' });
    expect(await participant.status('t4')).toEqual({ txnId: 't4', state: 'committed', token: 2 });
    await expect(participant.abort('t4', 2, 'leader')).rejects.toMatchObject({ code: 'conflict' });
  });

  it('refuses a stale token before the store is touched', async () => {
    const { store, participant } = setup(5);
    const refused = participant.prepare('t5', request(4, ['c1']));
    await expect(refused).rejects.toBeInstanceOf(ServiceError);
    await expect(refused).rejects.toMatchObject({ code: 'stale_token' });
    expect(store.prepares).toEqual([]);
    expect(store.tombstones).toEqual([]);
  });
});
