// Each toxic's timing and byte handling, on a fake clock: what leaves a stage, when, and in what order.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Chunk, EndKind, Sink, StageHost } from '../stage.ts';
import { createStage } from '../stages.ts';
import type { Attributes, ToxicType } from '../toxic-spec.ts';

interface Recorded {
  at: number;
  data?: string;
  end?: EndKind;
}

function harness(type: ToxicType, attributes: Attributes, randoms: number[] = []) {
  const out: Recorded[] = [];
  const host = { dropped: 0, resets: 0 };
  const stageHost: StageHost = {
    dropped: (n) => {
      host.dropped += n;
    },
    reset: () => {
      host.resets++;
    },
    random: () => randoms.shift() ?? 0.5,
  };
  const sink: Sink = {
    push: (c: Chunk) => out.push({ at: performance.now(), data: c.data.toString() }),
    end: (kind) => out.push({ at: performance.now(), end: kind }),
  };
  const stage = createStage(type, stageHost, attributes, sink);
  const push = (text: string) => stage.push({ data: Buffer.from(text), at: performance.now() });
  return { stage, out, host, push };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('latency', () => {
  it('holds each chunk latency ± jitter after it arrived, never reordering', () => {
    // Rolls 0.9 then 0.0: the first chunk gets +8 ms of jitter, the second -10 ms, yet stays second.
    const { out, push, stage } = harness('latency', { latency: 100, jitter: 10 }, [0.9, 0]);
    const t0 = performance.now();
    push('a');
    vi.advanceTimersByTime(5);
    push('b');
    stage.end('eof');
    vi.advanceTimersByTime(200);
    expect(out.map((r) => r.data ?? r.end)).toEqual(['a', 'b', 'eof']);
    expect(out[0]!.at - t0).toBeGreaterThanOrEqual(108);
    expect(out[1]!.at).toBeGreaterThanOrEqual(out[0]!.at);
  });

  it('hands everything it holds on at once when removed', () => {
    const { out, push, stage } = harness('latency', { latency: 60_000, jitter: 0 });
    push('a');
    push('b');
    vi.advanceTimersByTime(10);
    expect(out).toEqual([]);
    stage.drain();
    expect(out.map((r) => r.data)).toEqual(['a', 'b']);
  });

  it('re-times held data when its attributes change', () => {
    const { out, push, stage } = harness('latency', { latency: 60_000, jitter: 0 });
    push('a');
    stage.update({ latency: 50, jitter: 0 });
    vi.advanceTimersByTime(49);
    expect(out).toEqual([]);
    vi.advanceTimersByTime(2);
    expect(out.map((r) => r.data)).toEqual(['a']);
  });
});

describe('bandwidth', () => {
  it('sends 100 ms worth at a time: 2500 bytes at 10 KB/s leave as 1000, 1000, 500 over 250 ms', () => {
    const { out, stage } = harness('bandwidth', { rate: 10 });
    const t0 = performance.now();
    stage.push({ data: Buffer.alloc(2500, 'x'), at: t0 });
    vi.advanceTimersByTime(1000);
    expect(out.map((r) => r.data?.length)).toEqual([1000, 1000, 500]);
    expect(out.map((r) => Math.round(r.at - t0))).toEqual([100, 200, 250]);
  });

  it('holds everything at rate 0 until the rate changes', () => {
    const { out, push, stage } = harness('bandwidth', { rate: 0 });
    push('held');
    vi.advanceTimersByTime(10_000);
    expect(out).toEqual([]);
    stage.update({ rate: 1000 });
    vi.advanceTimersByTime(10);
    expect(out.map((r) => r.data)).toEqual(['held']);
  });
});

describe('slicer', () => {
  it('cuts a chunk into pieces of at most average+variation bytes, delay apart, losing nothing', () => {
    const { out, stage } = harness('slicer', { average_size: 10, size_variation: 3, delay: 2000 });
    const text = 'abcdefghijklmnopqrstuvwxyz'.repeat(4);
    stage.push({ data: Buffer.from(text), at: performance.now() });
    vi.advanceTimersByTime(1000);
    const pieces = out.map((r) => r.data ?? '');
    expect(pieces.join('')).toBe(text);
    expect(pieces.length).toBeGreaterThanOrEqual(Math.ceil(text.length / 13));
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThanOrEqual(13);
    for (let i = 1; i < out.length; i++) expect(out[i]!.at - out[i - 1]!.at).toBeGreaterThanOrEqual(2);
  });
});

describe('slow_close', () => {
  it('passes data at once and holds the end for its delay', () => {
    const { out, push, stage } = harness('slow_close', { delay: 300 });
    const t0 = performance.now();
    push('bye');
    stage.end('eof');
    expect(out.map((r) => r.data ?? r.end)).toEqual(['bye']);
    vi.advanceTimersByTime(300);
    expect(out[1]).toEqual({ at: t0 + 300, end: 'eof' });
  });
});

describe('timeout', () => {
  it('drops data and closes after its timeout; 0 never closes; removal closes', () => {
    const timed = harness('timeout', { timeout: 200 });
    timed.push('lost');
    vi.advanceTimersByTime(199);
    expect(timed.out).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(timed.out.map((r) => r.end)).toEqual(['close']);
    expect(timed.host.dropped).toBe(4);

    const forever = harness('timeout', { timeout: 0 });
    forever.push('lost');
    vi.advanceTimersByTime(3_600_000);
    expect(forever.out).toEqual([]);
    forever.stage.drain();
    expect(forever.out.map((r) => r.end)).toEqual(['close']);
  });
});

describe('reset_peer', () => {
  it('resets once, its timeout after the first data, which it swallows', () => {
    const { out, push, host } = harness('reset_peer', { timeout: 100 });
    push('x');
    push('y');
    vi.advanceTimersByTime(99);
    expect(host.resets).toBe(0);
    vi.advanceTimersByTime(1);
    expect(host.resets).toBe(1);
    expect(out).toEqual([]);
  });
});

describe('limit_data', () => {
  it('passes exactly its bytes then closes, and counts across updates', () => {
    const { out, push, stage } = harness('limit_data', { bytes: 5 });
    push('abc');
    stage.update({ bytes: 6 });
    push('defgh');
    push('ignored');
    expect(out.map((r) => r.data ?? r.end)).toEqual(['abc', 'def', 'close']);
  });
});
