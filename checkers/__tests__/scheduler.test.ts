// Proves that the scheduler checker holds the scheduler's own queue records against the documented policy and the
// clients' requests: a data request started ahead of an older waiting voice request, or ahead of a younger one
// before the aging bound, is a priority inversion; a request queued under another class than its client asked for,
// and one entry leaving the queue twice, are reported; a correct run, including a legitimate promotion, is valid
// with its coverage and delay figures.
import { describe, expect, it } from 'vitest';
import type { QueueRecord } from '../../format/observations.ts';
import { checkSafe } from '../result.ts';
import { scheduler } from '../scheduler.ts';
import { invokeChange, invokeCreate, observations, okChange, okCreate, ops } from './fixtures.ts';

const ask = (requestId: string, trafficClass: string) => ({
  requestId,
  subscriberId: 'sub1',
  trafficClass,
  protocol: '2pc',
});

/** A queue record on node sm1: offered at tick `eseq` and time `enq`, settled at tick `seq` and time `at`. */
function q(requestId: string, cls: QueueRecord['trafficClass'], eseq: number, seq: number, enq: number, at: number) {
  return {
    kind: 'queue',
    node: 'sm1',
    incarnation: 1,
    requestId,
    trafficClass: cls,
    outcome: 'started',
    enqueueSeq: eseq,
    seq,
    enqueuedMs: enq,
    atMs: at,
    agingMs: 200,
    at: at * 1e6,
  } satisfies QueueRecord;
}

/** r1 voice and r2 data, both asked for as such. */
const history = ops(
  invokeCreate(0, ask('r1', 'voice')),
  invokeCreate(1, ask('r2', 'data')),
  okCreate(0, 't1'),
  okCreate(1, 't2'),
);
const check = (queue: QueueRecord[], h = history) =>
  checkSafe(scheduler).check(h, observations({ queue }), { anomaliesMax: 100 });

describe('scheduler checker', () => {
  it('a data request started while an older voice request waits is a priority inversion', () => {
    // voice r1 offered at tick 1 (t=0), data r2 at tick 2 (t=1); data started first at tick 3, voice at tick 4.
    const r = check([q('r2', 'data', 2, 3, 1, 500), q('r1', 'voice', 1, 4, 0, 510)]);
    expect(r.valid).toBe(false);
    expect(r.anomalies.map((a) => [a.type, a.key, a.explanation])).toEqual([
      [
        'priority-inversion',
        'sm1#1:2',
        'data r2 started after 499.0 ms while voice r1 had waited 500.0 ms, though it was queued first',
      ],
    ]);
    expect(r.anomalies[0]!.ops).toEqual([1, 3, 0, 2]);
  });

  it('a younger data request started before the aging bound while voice waits is a priority inversion', () => {
    // data r2 offered first (t=0), voice r1 after (t=1); data started after 50 ms, under the 200 ms bound.
    const r = check([q('r2', 'data', 1, 3, 0, 50), q('r1', 'voice', 2, 4, 1, 60)]);
    expect(r.anomalies.map((a) => a.type)).toEqual(['priority-inversion']);
    expect(r.anomalies[0]!.explanation).toBe(
      'data r2 started after 50.0 ms while voice r1 had waited 49.0 ms, before the aging bound of 200 ms',
    );
  });

  it('a promoted data request (older than the waiting voice, past the bound) is allowed', () => {
    const r = check([q('r2', 'data', 1, 3, 0, 250), q('r1', 'voice', 2, 4, 10, 260)]);
    expect(r.valid).toBe(true);
    expect(r.stats).toMatchObject({ entries: 2, waited: 2, contended: 1, linked: 2 });
  });

  it('a request queued under another class than its client asked for is a class mismatch', () => {
    const r = check([q('r1', 'data', 1, 2, 0, 1), q('r2', 'data', 3, 4, 2, 3)]);
    expect(r.anomalies.map((a) => [a.type, a.key, a.explanation])).toEqual([
      ['class-mismatch', 'sm1#1:1', 'request r1 asked for voice and was queued as data'],
    ]);
    expect(r.anomalies[0]!.ops).toEqual([0, 2]);
  });

  it('an alias the gateway accepts counts as its class', () => {
    const aliased = ops(invokeCreate(0, ask('r1', 'VoIP')));
    expect(check([q('r1', 'voice', 1, 2, 0, 1)], aliased).valid).toBe(true);
  });

  it('one queue entry leaving twice is reported', () => {
    const r = check([q('r1', 'voice', 1, 2, 0, 1), q('r1', 'voice', 1, 3, 0, 2)]);
    expect(r.anomalies.map((a) => [a.type, a.key, a.explanation])).toEqual([
      ['dequeued-twice', 'sm1#1:1', 'one queue entry (voice r1) left 2 times: started at 2, started at 3'],
    ]);
  });

  it('a correct run is valid, with delay figures by class, and records of other incarnations are apart', () => {
    const second = { ...q('r2', 'data', 1, 2, 0, 5), incarnation: 2 };
    const r = check([q('r1', 'voice', 1, 3, 0, 5), q('r2', 'data', 2, 4, 1, 30), second]);
    expect(r.valid).toBe(true);
    expect(r.coverage).toEqual({ entries: 3, waited: 2 });
    expect(r.stats.queueDelayMs).toMatchObject({ voice: { n: 1, max: 5 }, data: { n: 2, p50: 5, max: 29 } });
  });

  it('entries that never waited still give a verdict, and say so', () => {
    const r = check([q('r1', 'voice', 1, 2, 0, 0.01), q('r2', 'data', 3, 4, 1, 1.01)]);
    expect(r.valid).toBe(true);
    expect(r.stats).toMatchObject({ entries: 2, waited: 0, contended: 0 });
  });

  it('no queue records is unknown', () => {
    expect(check([]).valid).toBe('unknown');
  });

  describe('changes of a session (issue 22)', () => {
    /** r1 creates voice session s1; r3 modifies it (naming `cls`, if given); r4 releases it. */
    const changes = (cls?: string) =>
      ops(
        invokeCreate(0, ask('r1', 'voice')),
        okCreate(0, 't1'),
        invokeChange('modify-session', 1, { requestId: 'r3', sessionId: 's1', ...(cls ? { trafficClass: cls } : {}) }),
        okChange('modify-session', 1, 't3'),
        invokeChange('release-session', 2, { requestId: 'r4', sessionId: 's1' }),
        okChange('release-session', 2, 't4'),
      );

    it('a modify that names a class is queued under that class, or it is a class mismatch', () => {
      const queue = [q('r1', 'voice', 1, 2, 0, 1), q('r3', 'voice', 3, 4, 2, 3), q('r4', 'voice', 5, 6, 4, 5)];
      const r = check(queue, changes('data'));
      expect(r.anomalies.map((a) => [a.type, a.key, a.explanation, a.ops])).toEqual([
        ['class-mismatch', 'sm1#1:3', 'request r3 asked for data and was queued as voice', [2, 3]],
      ]);
      expect(check([...queue.slice(0, 1), q('r3', 'data', 3, 4, 2, 3), queue[2]!], changes('data')).valid).toBe(true);
    });

    it("a modify's class alias counts as its class", () => {
      const queue = [q('r1', 'voice', 1, 2, 0, 1), q('r3', 'data', 3, 4, 2, 3)];
      expect(check(queue, changes('Best-Effort')).valid).toBe(true);
    });

    it("a modify of the cells alone and a release are queued under the session's class, which no client names", () => {
      // The session is voice; the scheduler may queue r3 and r4 under any class: neither request named one.
      const queue = [q('r1', 'voice', 1, 2, 0, 1), q('r3', 'video', 3, 4, 2, 3), q('r4', 'data', 5, 6, 4, 5)];
      const r = check(queue, changes());
      expect(r.valid).toBe(true);
      // Only the create is linked to a class its client asked for.
      expect(r.stats).toMatchObject({ entries: 3, linked: 1 });
    });

    it('a retried request (the same requestId invoked twice) is one request, with the ops of both tries', () => {
      const retried = ops(
        invokeCreate(0, ask('r1', 'voice')),
        { type: 'info', process: 0, f: 'create-session', value: { status: 504 }, error: 'timeout' },
        invokeCreate(1, ask('r1', 'voice')),
        okCreate(1, 't1'),
      );
      const r = check([q('r1', 'data', 1, 2, 0, 1)], retried);
      expect(r.anomalies.map((a) => [a.type, a.ops])).toEqual([['class-mismatch', [0, 1, 2, 3]]]);
    });
  });

  describe('the edges of the policy (Stryker survivors, issue 30)', () => {
    const three = ops(
      invokeCreate(0, ask('r1', 'voice')),
      invokeCreate(1, ask('r2', 'data')),
      invokeCreate(2, ask('r5', 'voice')),
    );
    const leaving = (r: QueueRecord, outcome: QueueRecord['outcome']) => ({ ...r, outcome });

    it('a data entry that left unstarted (evicted, expired) while voice waited is no decision to judge', () => {
      // voice r1 waits from tick 1 to tick 6; two data entries leave at ticks 3 and 5 without starting.
      const evicted = leaving(q('r2', 'data', 2, 3, 1, 50), 'evicted');
      const expired = leaving(q('r2', 'data', 4, 5, 2, 55), 'expired');
      const r = check([q('r1', 'voice', 1, 6, 0, 60), evicted, expired], three);
      expect(r.valid).toBe(true);
      expect(r.stats).toMatchObject({ outcomes: { evicted: 1, expired: 1, started: 1 } });
    });

    it("order within one class is not this checker's to judge: a younger voice started first is valid", () => {
      const r = check([q('r5', 'voice', 2, 3, 1, 5), q('r1', 'voice', 1, 4, 0, 6)], three);
      expect(r.valid).toBe(true);
    });

    it('names the oldest waiting higher-class request, whichever order they were offered in', () => {
      // r5 (voice, offered at t=0) is older than r1 (voice, t=3); data r2 (t=2) starts at t=50 while both wait.
      const queue = [q('r5', 'voice', 1, 5, 0, 60), q('r1', 'voice', 3, 6, 3, 61), q('r2', 'data', 2, 4, 2, 50)];
      const r = check(queue, three);
      expect(r.anomalies.map((a) => a.explanation)).toEqual([
        'data r2 started after 48.0 ms while voice r5 had waited 50.0 ms, though it was queued first',
      ]);
      expect(r.stats).toMatchObject({ promotedOverMaxMs: 50 });
    });

    it('offered at the same instant is not "queued first": the aging bound decides', () => {
      const r = check([q('r2', 'data', 1, 3, 0, 50), q('r1', 'voice', 2, 4, 0, 60)], three);
      expect(r.anomalies.map((a) => a.explanation)).toEqual([
        'data r2 started after 50.0 ms while voice r1 had waited 50.0 ms, before the aging bound of 200 ms',
      ]);
    });

    it("a wait within the records' microsecond rounding of the aging bound counts as reaching it", () => {
      const at = (waited: number) => check([q('r2', 'data', 1, 3, 0, waited), q('r1', 'voice', 2, 4, 1, 300)], three);
      expect(at(199.999).valid).toBe(true);
      expect(at(199.99).anomalies.map((a) => a.type)).toEqual(['priority-inversion']);
    });
  });
  describe('what each anomaly carries, and the figures (issue 30)', () => {
    /** A record as `q` makes it, with some fields replaced. */
    const qw = (base: QueueRecord, o: Partial<QueueRecord>): QueueRecord => ({ ...base, ...o });

    it('counts every documented alias, in any case and with spaces around it, as its class', () => {
      const aliases: [string, QueueRecord['trafficClass']][] = [
        ['voice', 'voice'],
        ['voip', 'voice'],
        ['audio', 'voice'],
        ['conversational', 'voice'],
        ['video', 'video'],
        ['streaming', 'video'],
        ['data', 'data'],
        ['internet', 'data'],
        ['best-effort', 'data'],
        ['besteffort', 'data'],
        ['background', 'data'],
      ];
      for (const [alias, cls] of aliases) {
        const asked = ops(invokeCreate(0, ask('r1', ` ${alias.toUpperCase()} `)));
        const right = check([q('r1', cls, 1, 2, 0, 1)], asked);
        expect([alias, right.valid, right.stats.linked]).toEqual([alias, true, 1]);
        const other = cls === 'data' ? 'video' : 'data';
        const wrong = check([q('r1', other, 1, 2, 0, 1)], asked);
        expect(wrong.anomalies.map((a) => a.explanation)).toEqual([
          `request r1 asked for ${cls} and was queued as ${other}`,
        ]);
      }
    });

    it('a create naming no class, or one no doc lists, is linked but never a class mismatch', () => {
      const unnamed = ops(
        invokeCreate(0, { requestId: 'r1', protocol: '2pc' }),
        invokeCreate(1, ask('r2', 'platinum')),
        okCreate(0, 't1'),
      );
      const r = check([q('r1', 'data', 1, 2, 0, 1), q('r2', 'video', 3, 4, 2, 3)], unnamed);
      expect(r.valid).toBe(true);
      expect(r.stats).toMatchObject({ entries: 2, linked: 2 });
      // Its ops are still cited when it is held back: data r1 started ahead of video r2, queued first.
      const held = check([q('r2', 'video', 1, 4, 0, 60), q('r1', 'data', 2, 3, 1, 50)], unnamed);
      expect(held.anomalies.map((a) => [a.type, a.ops])).toEqual([['priority-inversion', [0, 2, 1]]]);
    });

    it('a priority inversion carries the entries, the node, both waits and the ops of both requests', () => {
      const r = check([q('r2', 'data', 2, 3, 1, 500.123), q('r1', 'voice', 1, 4, 0, 510)]);
      expect(r.anomalies).toEqual([
        {
          type: 'priority-inversion',
          key: 'sm1#1:2',
          ops: [1, 3, 0, 2],
          explanation: 'data r2 started after 499.1 ms while voice r1 had waited 500.1 ms, though it was queued first',
          details: { node: 'sm1', started: 'sm1#1:2', waiting: 'sm1#1:1', waitedMs: 499.123, heldMs: 500.123 },
        },
      ]);
      expect(r.stats).toMatchObject({ promotedOverMaxMs: 500.12, contended: 1, waited: 1, linked: 2 });
      expect(r.stats.anomalies).toEqual({ 'priority-inversion': 1 });
    });

    it('a class mismatch carries the node and both classes', () => {
      const r = check([q('r1', 'video', 1, 2, 0, 1), q('r2', 'data', 3, 4, 2, 3)]);
      expect(r.anomalies).toEqual([
        {
          type: 'class-mismatch',
          key: 'sm1#1:1',
          ops: [0, 2],
          explanation: 'request r1 asked for voice and was queued as video',
          details: { node: 'sm1', asked: 'voice', queued: 'video' },
        },
      ]);
    });

    it('an entry with no request id is named by its tick, cites no ops of its own, and is not linked', () => {
      const anonymous = qw(q('r2', 'data', 2, 3, 1, 500), { requestId: undefined });
      const r = check([anonymous, q('r1', 'voice', 1, 4, 0, 510)]);
      expect(r.anomalies.map((a) => [a.explanation, a.ops])).toEqual([
        ['data entry 2 started after 499.0 ms while voice r1 had waited 500.0 ms, though it was queued first', [0, 2]],
      ]);
      expect(r.stats).toMatchObject({ linked: 1 });
      // A request id no client sent cites none either.
      const stranger = check([q('r9', 'data', 2, 3, 1, 500), q('r1', 'voice', 1, 4, 0, 510)]);
      expect(stranger.anomalies.map((a) => [a.key, a.ops])).toEqual([['sm1#1:2', [0, 2]]]);
      expect(stranger.stats).toMatchObject({ linked: 1 });
    });

    it('a waiting entry with no request id is named by its tick, and only the started request is cited', () => {
      const anonymous = qw(q('r1', 'voice', 1, 4, 0, 510), { requestId: undefined });
      const r = check([q('r2', 'data', 2, 3, 1, 500), anonymous]);
      expect(r.anomalies.map((a) => [a.explanation, a.ops])).toEqual([
        ['data r2 started after 499.0 ms while voice entry 1 had waited 500.0 ms, though it was queued first', [1, 3]],
      ]);
      // Nor is a waiting request no client sent.
      const stranger = check([q('r2', 'data', 2, 3, 1, 500), q('r9', 'voice', 1, 4, 0, 510)]);
      expect(stranger.anomalies.map((a) => a.ops)).toEqual([[1, 3]]);
    });

    it('an entry with no request id, or one no client sent, that left twice cites no ops', () => {
      const twice = (requestId: string | undefined) => [
        qw(q('r', 'data', 1, 2, 0, 1), { requestId }),
        qw(q('r', 'data', 1, 3, 0, 2), { requestId }),
      ];
      expect(check(twice(undefined)).anomalies.map((a) => [a.key, a.ops, a.explanation])).toEqual([
        ['sm1#1:1', [], 'one queue entry (data entry 1) left 2 times: started at 2, started at 3'],
      ]);
      expect(check(twice('r9')).anomalies.map((a) => [a.key, a.ops])).toEqual([['sm1#1:1', []]]);
    });

    it('names the waiting request with the earliest enqueue time, not the first by tick', () => {
      // r1 took tick 1 but carries the later time (3 ms); r5, tick 2, was enqueued at 0 ms.
      const three = ops(
        invokeCreate(0, ask('r1', 'voice')),
        invokeCreate(1, ask('r2', 'data')),
        invokeCreate(2, ask('r5', 'voice')),
      );
      const queue = [q('r1', 'voice', 1, 5, 3, 60), q('r5', 'voice', 2, 6, 0, 61), q('r2', 'data', 3, 4, 2, 50)];
      expect(check(queue, three).anomalies.map((a) => a.explanation)).toEqual([
        'data r2 started after 48.0 ms while voice r5 had waited 50.0 ms, though it was queued first',
      ]);
    });

    it('an entry that left twice cites its request once, and says every time it left', () => {
      const r = check([q('r1', 'voice', 1, 2, 0, 1), qw(q('r1', 'voice', 1, 3, 0, 2), { outcome: 'evicted' })]);
      expect(r.anomalies).toEqual([
        {
          type: 'dequeued-twice',
          key: 'sm1#1:1',
          ops: [0, 2],
          explanation: 'one queue entry (voice r1) left 2 times: started at 2, evicted at 3',
        },
      ]);
      // The same tick on another node or incarnation is another entry.
      const apart = [q('r1', 'voice', 1, 2, 0, 1), qw(q('r2', 'data', 1, 2, 0, 1), { node: 'sm2' })];
      expect(check(apart).valid).toBe(true);
    });

    it('a request refused at the door (queue full) never waited: a lower class started meanwhile is no inversion', () => {
      // voice r1 is refused; its record spans ticks 1 to 4, around data r2's start at tick 3.
      const refused = qw(q('r1', 'voice', 1, 4, 0, 0), { outcome: 'full' });
      const r = check([refused, q('r2', 'data', 2, 3, 1, 50)]);
      expect(r.valid).toBe(true);
      expect(r.stats).toMatchObject({ entries: 2, contended: 0, outcomes: { full: 1, started: 1 } });
    });

    it('of two higher-class requests offered at the same instant, the first offered is named', () => {
      const three = ops(
        invokeCreate(0, ask('r1', 'voice')),
        invokeCreate(1, ask('r2', 'data')),
        invokeCreate(2, ask('r5', 'voice')),
      );
      const queue = [q('r1', 'voice', 1, 5, 0, 60), q('r5', 'voice', 2, 6, 0, 61), q('r2', 'data', 3, 4, 1, 50)];
      expect(check(queue, three).anomalies.map((a) => a.explanation)).toEqual([
        'data r2 started after 49.0 ms while voice r1 had waited 50.0 ms, though it was queued first',
      ]);
    });

    it('a run with no aging bound recorded judges only the queue order', () => {
      const unbounded = (r: QueueRecord) => qw(r, { agingMs: undefined });
      // data r2, queued first, started after 50 ms while voice waits: no bound to hold it to.
      const r = check([unbounded(q('r2', 'data', 1, 3, 0, 50)), unbounded(q('r1', 'voice', 2, 4, 1, 60))]);
      expect(r.valid).toBe(true);
      const late = check([unbounded(q('r2', 'data', 2, 3, 1, 50)), unbounded(q('r1', 'voice', 1, 4, 0, 60))]);
      expect(late.anomalies.map((a) => a.type)).toEqual(['priority-inversion']);
    });

    it('a wait of exactly the bound less the rounding reaches the bound', () => {
      const r = check([q('r2', 'data', 1, 3, 0, 199.998), q('r1', 'voice', 2, 4, 1, 300)]);
      expect(r.valid).toBe(true);
      expect(r.stats).toMatchObject({ contended: 1, promotedOverMaxMs: 199 });
    });

    it('a start is "waited" only when something else happened between its offer and its start', () => {
      const r = check([q('r1', 'voice', 1, 3, 0, 5), q('r2', 'data', 2, 5, 1, 30)]);
      // r1 (offered 1, started 3) waited past r2's offer, and was chosen over it; r2 (2 to 5) past r1's start.
      expect(r.stats).toMatchObject({ waited: 2, contended: 1 });
      expect(check([q('r1', 'voice', 1, 2, 0, 5), q('r2', 'data', 3, 4, 1, 30)]).stats).toMatchObject({ waited: 0 });
    });

    it('a younger request of the same class started first is no contention', () => {
      const same = ops(invokeCreate(0, ask('r1', 'voice')), invokeCreate(1, ask('r5', 'voice')));
      const r = check([q('r5', 'voice', 2, 3, 1, 5), q('r1', 'voice', 1, 4, 0, 6)], same);
      expect(r.valid).toBe(true);
      expect(r.stats).toMatchObject({ contended: 0, waited: 1, promotedOverMaxMs: 0 });
    });

    it('gives the queue delays of started entries per class: count, nearest-rank p50 and p99, and max', () => {
      // Four data starts, in record order waiting 40, 10, 30 and 20.3456 ms, and one evicted after a second.
      const queue = [
        q('d1', 'data', 1, 2, 0, 40),
        q('d2', 'data', 3, 4, 100, 110),
        q('d3', 'data', 5, 6, 200, 230),
        q('d4', 'data', 7, 8, 300, 320.3456),
        qw(q('d5', 'data', 9, 10, 400, 1400), { outcome: 'evicted' }),
        q('v1', 'video', 11, 12, 2000, 2000.5),
      ];
      const r = check(queue);
      expect(r.stats.queueDelayMs).toEqual({
        voice: { n: 0, p50: 0, p99: 0, max: 0 },
        video: { n: 1, p50: 0.5, p99: 0.5, max: 0.5 },
        data: { n: 4, p50: 20.35, p99: 40, max: 40 },
      });
      expect(r.stats).toMatchObject({ entries: 6, waited: 0, linked: 0, outcomes: { started: 5, evicted: 1 } });
      expect(r.coverage).toEqual({ entries: 6, waited: 0 });
    });
  });
});
