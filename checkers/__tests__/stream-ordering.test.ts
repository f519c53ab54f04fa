// Proves each stream-ordering anomaly is reported per session or transaction on a minimal stream, naming the client
// ops of the transaction, and that the corrected twin passes.
import { describe, expect, it } from 'vitest';
import type { Observations } from '../../format/observations.ts';
import { checkSafe } from '../result.ts';
import { streamOrdering } from '../stream-ordering.ts';
import {
  event,
  invokeCreate,
  lifecycleRun,
  observations,
  okCreate,
  ops,
  run,
  type TwinCase,
  twinTests,
  txn,
} from './fixtures.ts';

const twoTxns = () => [txn(), txn({ txnId: 't2', requestId: 'r2', decidedAt: 500 })];
const history = ops(invokeCreate(), okCreate());

const cases: (Omit<TwinCase, 'build'> & { build(broken: boolean): Observations })[] = [
  {
    type: 'lost-event',
    key: 't2',
    explains: 'txn committed in the log but no event in the stream',
    ops: [],
    build: (broken) =>
      observations({ txn: twoTxns(), event: broken ? [event(1)] : [event(1), event(2, { txnId: 't2' })] }),
  },
  {
    type: 'duplicate-event',
    key: 't1',
    explains: '2 events for one transaction: 1-1, 1-2',
    ops: [0, 1],
    build: (broken) => observations({ txn: [txn()], event: broken ? [event(1), event(2)] : [event(1)] }),
  },
  {
    type: 'non-monotonic-sequence',
    key: 's1',
    explains: 'sequence 1 (1-2, txn t1) after sequence 2',
    ops: [0, 1],
    build: (broken) =>
      observations({
        txn: twoTxns(),
        event: [
          event(1, { entryId: '1-1', seq: broken ? 2 : 1, txnId: 't2' }),
          event(2, { entryId: '1-2', seq: broken ? 1 : 2 }),
        ],
      }),
  },
  {
    type: 'skipped-sequence',
    key: 's1',
    explains: 'sequence 2 missing below 3',
    ops: [],
    build: (broken) => observations({ txn: twoTxns(), event: [event(1), event(broken ? 3 : 2, { txnId: 't2' })] }),
  },
  {
    type: 'outcome-mismatch',
    key: 't1',
    explains: 'event 1-1 says aborted, log says committed',
    ops: [0, 1],
    build: (broken) => observations({ txn: [txn()], event: [event(1, { outcome: broken ? 'aborted' : 'committed' })] }),
  },
  {
    type: 'event-for-undecided',
    key: 't1',
    explains: 'event 1-1 (committed) but txn is prepared',
    ops: [0, 1],
    build: (broken) => observations({ txn: [txn({ state: broken ? 'prepared' : 'committed' })], event: [event(1)] }),
  },
];

describe('stream ordering', () => {
  twinTests(
    streamOrdering,
    cases.map((c) => ({ ...c, build: (broken: boolean) => ({ history, obs: c.build(broken) }) })),
  );

  it('lists every decided transaction without an event and counts them, however many the list leaves off', () => {
    const decided = [1, 2, 3, 4].map((n) => txn({ txnId: `t${n}`, requestId: `r${n}`, decidedAt: 100 * n }));
    const undecided = txn({ txnId: 't5', requestId: 'r5', state: 'prepared' });
    const obs = observations({ txn: [...decided, undecided], event: [event(1)] });
    const r = run(streamOrdering, history, obs, { anomaliesMax: 2 });
    expect(r.valid).toBe(false);
    expect(r.anomalies.map((a) => [a.type, a.key])).toEqual([
      ['lost-event', 't2'],
      ['lost-event', 't3'],
    ]);
    expect(r.stats).toMatchObject({ decidedTxns: 4, withoutEvent: 3, anomalies: { 'lost-event': 3 } });
  });

  it('counts the sessions with several events, the only ones whose order can be broken', () => {
    const obs = observations({
      txn: [txn(), txn({ txnId: 't2', requestId: 'r2' }), txn({ txnId: 't3', requestId: 'r3', sessionId: 's2' })],
      event: [event(1), event(2, { txnId: 't2' }), event(3, { txnId: 't3', sessionId: 's2', seq: 1 })],
    });
    const r = streamOrdering.check(history, obs, {});
    expect(r.valid).toBe(true);
    expect(r.stats).toMatchObject({ events: 3, sessions: 2, multiEventSessions: 1 });
  });

  it('orders the stream by entry id, not by file order', () => {
    const obs = observations({
      txn: twoTxns(),
      event: [event(2, { entryId: '2-0', txnId: 't2' }), event(1, { entryId: '1-0' })],
    });
    expect(run(streamOrdering, history, obs).valid).toBe(true);
  });

  it('reports two transactions whose events carry the same sequence number in one session', () => {
    const obs = observations({
      txn: twoTxns(),
      event: [event(1, { entryId: '1-1' }), event(1, { entryId: '1-2', txnId: 't2' })],
    });
    const r = run(streamOrdering, history, obs);
    expect(r.anomalies.map((a) => [a.type, a.key, a.explanation])).toEqual([
      ['duplicate-event', 's1', 'sequence 1 appears twice (1-2)'],
    ]);
  });

  it('reports no lost event when no stream was collected, and the composed verdict is unknown', () => {
    const obs = observations({ txn: twoTxns() });
    const r = run(streamOrdering, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ decidedTxns: 2, withoutEvent: 2 });
    expect(checkSafe(streamOrdering).check(history, obs, {}).valid).toBe('unknown');
  });

  it('carries the sequence, entry and txn that prove each anomaly', () => {
    const explain = (obs: Observations) =>
      run(streamOrdering, history, obs).anomalies.map((a) => [a.type, a.key, a.explanation]);
    expect(
      explain(
        observations({
          txn: twoTxns(),
          event: [event(2, { entryId: '1-1', txnId: 't2' }), event(1, { entryId: '1-2' })],
        }),
      ),
    ).toEqual([['non-monotonic-sequence', 's1', 'sequence 1 (1-2, txn t1) after sequence 2']]);
    expect(explain(observations({ txn: twoTxns(), event: [event(1), event(3, { txnId: 't2' })] }))).toEqual([
      ['skipped-sequence', 's1', 'sequence 2 missing below 3'],
    ]);
    expect(explain(observations({ txn: [txn()], event: [event(1), event(2)] }))).toEqual([
      ['duplicate-event', 't1', '2 events for one transaction: 1-1, 1-2'],
    ]);
    expect(explain(observations({ txn: [txn({ state: 'aborted' })], event: [event(1)] }))).toEqual([
      ['outcome-mismatch', 't1', 'event 1-1 says committed, log says aborted'],
    ]);
    expect(explain(observations({ txn: [txn({ state: 'prepared' })], event: [event(1)] }))).toEqual([
      ['event-for-undecided', 't1', 'event 1-1 (committed) but txn is prepared'],
    ]);
    expect(explain(observations({ txn: [], event: [event(1)] }))).toEqual([
      ['event-for-undecided', 't1', 'event 1-1 (committed) but txn is not in the log'],
    ]);
    expect(explain(observations({ txn: twoTxns(), event: [event(1)] }))).toEqual([
      ['lost-event', 't2', 'txn committed in the log but no event in the stream'],
    ]);
  });
});

// A session's life (issue 22): t1 creates s1, t2 modifies it, t3 releases it, one event each (seq 1, 2, 3). Each test
// breaks one thing about the session's events and expects its anomaly; the unbroken life passes and shows its order
// was judged.
describe('stream ordering: a session with several transactions', () => {
  const found = (r: ReturnType<typeof run>) => r.anomalies.map((a) => [a.type, a.key, a.ops, a.explanation]);

  it('passes a correct life and counts the events whose order against the DSM it judged', () => {
    const { history, obs } = lifecycleRun();
    const r = run(streamOrdering, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ events: 3, sessions: 1, multiEventSessions: 1, orderedEvents: 2, decidedTxns: 3 });
  });

  it('reports the modified event emitted after the released one, in sequence, though the modify ran first', () => {
    const { history, obs } = lifecycleRun();
    obs.event = [event(1), event(2, { txnId: 't3' }), event(3, { txnId: 't2' })];
    expect(found(run(streamOrdering, history, obs))).toEqual([
      [
        'event-order-mismatch',
        's1',
        [2, 3, 4, 5],
        'event 1-3 (seq 3, txn t2) comes after 1-2 (txn t3), but t2 ran first (DSM version 4 before 7)',
      ],
    ]);
  });

  it('orders by the DSM, not by decision times a skewed clock wrote', () => {
    const { history, obs } = lifecycleRun();
    obs.txn[1]!.decidedAt = 900;
    obs.txn[2]!.decidedAt = 450;
    expect(run(streamOrdering, history, obs).anomalies).toEqual([]);
  });

  it('does not judge the order of events whose transactions the DSM does not name', () => {
    const { history, obs } = lifecycleRun();
    obs.event = [event(1), event(2, { txnId: 't3' }), event(3, { txnId: 't2' })];
    obs.dsm = obs.dsm.filter((d) => d.txnId !== 't2');
    const r = run(streamOrdering, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ orderedEvents: 1 });
  });

  it('reports a release without its event, citing the release op', () => {
    const { history, obs } = lifecycleRun();
    obs.event = obs.event.filter((e) => e.txnId !== 't3');
    expect(found(run(streamOrdering, history, obs))).toEqual([
      ['lost-event', 't3', [4, 5], 'txn committed in the log but no event in the stream'],
    ]);
  });

  // Two transactions of one session at one DSM version is a lost update, for linearizability to report; neither ran
  // first, so their events' order cannot be wrong.
  it('does not order the events of two transactions the DSM places at the same version', () => {
    const { history, obs } = lifecycleRun();
    obs.event = [event(1), event(2, { txnId: 't3' }), event(3, { txnId: 't2' })];
    for (const d of obs.dsm) if (d.txnId === 't3') d.version -= 3;
    const r = run(streamOrdering, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ orderedEvents: 2 });
  });

  it('reports a modify with two events as a duplicate, not as an event out of order', () => {
    const { history, obs } = lifecycleRun();
    obs.event.push(event(4, { txnId: 't2', at: 1100 }));
    expect(found(run(streamOrdering, history, obs))).toEqual([
      ['duplicate-event', 't2', [2, 3], '2 events for one transaction: 1-2, 1-4'],
    ]);
  });

  it("reports a sequence gap between a session's events", () => {
    const { history, obs } = lifecycleRun();
    obs.event[2]!.seq = 4;
    expect(found(run(streamOrdering, history, obs))).toEqual([
      ['skipped-sequence', 's1', [], 'sequence 3 missing below 4'],
    ]);
  });
});

// Issue 30: what a mutant of the checker would change and no test above pins: the stream's order by both numbers of
// an entry id, an aborted transaction's event, and every figure the checker reports.
describe('stream ordering: entry ids, aborted transactions and the figures', () => {
  const found = (obs: Observations) =>
    run(streamOrdering, history, obs).anomalies.map((a) => [a.type, a.key, a.explanation]);

  it('orders entries of one millisecond by their second number, not by file order', () => {
    const obs = observations({
      txn: twoTxns(),
      event: [event(2, { entryId: '5-2', txnId: 't2' }), event(1, { entryId: '5-1' })],
    });
    expect(found(obs)).toEqual([]);
  });

  it('orders entries by their millisecond first, whatever their second number', () => {
    const obs = observations({
      txn: twoTxns(),
      event: [event(2, { entryId: '2-0', txnId: 't2' }), event(1, { entryId: '1-5' })],
    });
    expect(found(obs)).toEqual([]);
  });

  it('keeps file order for entry ids of another shape, without reading their digits as numbers', () => {
    const ok = observations({
      txn: twoTxns(),
      event: [event(1, { entryId: '21' }), event(2, { entryId: '3', txnId: 't2' })],
    });
    expect(found(ok)).toEqual([]);
    const swapped = observations({
      txn: twoTxns(),
      event: [event(2, { entryId: '3', txnId: 't2' }), event(1, { entryId: '21' })],
    });
    expect(found(swapped)).toEqual([['non-monotonic-sequence', 's1', 'sequence 1 (21, txn t1) after sequence 2']]);
  });

  it('passes an aborted transaction whose event says aborted, and counts it as decided', () => {
    const obs = observations({ txn: [txn({ state: 'aborted' })], event: [event(1, { outcome: 'aborted' })] });
    const r = run(streamOrdering, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ decidedTxns: 1, withoutEvent: 0 });
  });

  it('reports an aborted transaction without its event, naming its state', () => {
    const obs = observations({
      txn: [txn(), txn({ txnId: 't2', requestId: 'r2', state: 'aborted' })],
      event: [event(1)],
    });
    const r = run(streamOrdering, history, obs);
    expect(found(obs)).toEqual([['lost-event', 't2', 'txn aborted in the log but no event in the stream']]);
    expect(r.stats).toMatchObject({ decidedTxns: 2, withoutEvent: 1 });
  });

  it('counts neither an undecided transaction without an event as decided nor its missing event as lost', () => {
    const obs = observations({
      txn: [txn(), txn({ txnId: 't2', requestId: 'r2', state: 'prepared', decidedAt: undefined })],
      event: [event(1)],
    });
    const r = run(streamOrdering, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ decidedTxns: 1, withoutEvent: 0 });
  });

  it('names the event whose outcome differs when a transaction has two, besides the duplicate', () => {
    const obs = observations({ txn: [txn()], event: [event(1), event(2, { outcome: 'aborted' })] });
    expect(found(obs)).toEqual([
      ['duplicate-event', 't1', '2 events for one transaction: 1-1, 1-2'],
      ['outcome-mismatch', 't1', 'event 1-2 says aborted, log says committed'],
    ]);
  });

  it('reports every sequence missing below the highest, the first one included', () => {
    const obs = observations({ txn: twoTxns(), event: [event(2), event(4, { txnId: 't2' })] });
    expect(found(obs)).toEqual([
      ['skipped-sequence', 's1', 'sequence 1 missing below 4'],
      ['skipped-sequence', 's1', 'sequence 3 missing below 4'],
    ]);
  });

  it('judges each session on its own sequence', () => {
    const obs = observations({
      txn: [txn(), txn({ txnId: 't2', requestId: 'r2', sessionId: 's2' })],
      event: [event(1), event(2, { entryId: '1-2', txnId: 't2', sessionId: 's2', seq: 1 })],
    });
    const r = run(streamOrdering, history, obs);
    expect(r.anomalies).toEqual([]);
    expect(r.stats).toMatchObject({ sessions: 2, multiEventSessions: 0, sessionsWith3Events: 0, orderedEvents: 0 });
  });

  it('reports its name and every figure of a whole session life exactly, coverage included', () => {
    const { history, obs } = lifecycleRun();
    const r = checkSafe(streamOrdering).check(history, obs, {});
    expect(streamOrdering.name).toBe('stream-ordering');
    expect(r.valid).toBe(true);
    expect(r.coverage).toEqual({ events: 3, sessions: 1, multiEventSessions: 1, orderedEvents: 2, relayResends: 0 });
    expect(r.stats).toEqual({
      events: 3,
      sessions: 1,
      multiEventSessions: 1,
      sessionsWith3Events: 1,
      orderedEvents: 2,
      decidedTxns: 3,
      withoutEvent: 0,
      relayResends: 0,
      anomalies: {},
    });
  });

  it('counts a session of exactly two events as multi-event, not as one of three or more', () => {
    const obs = observations({ txn: twoTxns(), event: [event(1), event(2, { txnId: 't2' })] });
    expect(run(streamOrdering, history, obs).stats).toMatchObject({
      multiEventSessions: 1,
      sessionsWith3Events: 0,
      orderedEvents: 0,
    });
  });
});
