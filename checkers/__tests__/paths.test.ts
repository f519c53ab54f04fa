// Proves the recovery-path counts: each `path` record is counted under its own figure (decision queries by answer),
// liveness and stream-ordering show them in their coverage, and a run that never took a path shows a 0 there
// without turning the verdict unknown.
import { describe, expect, it } from 'vitest';
import type { PathRecord } from '../../format/observations.ts';
import { liveness } from '../liveness.ts';
import { pathCounts } from '../paths.ts';
import { checkSafe } from '../result.ts';
import { streamOrdering } from '../stream-ordering.ts';
import { committedRun } from './fixtures.ts';

const path = (name: PathRecord['name'], outcome?: string, txnId = 't1'): PathRecord => ({
  kind: 'path',
  name,
  node: name === 'decision-query' || name === 'precommit-timeout' ? 'rm' : 'sm-1',
  txnId,
  ...(outcome === undefined ? {} : { outcome }),
  at: 100,
});

const taken: PathRecord[] = [
  path('decision-query', 'commit'),
  path('decision-query', 'no_answer'),
  path('precommit-timeout', 'commit', 't2'),
  path('recovery', 'undecided'),
  path('recovery', 'decided', 't2'),
  path('recovery', 'decided', 't3'),
  path('relay-resend'),
];

describe('path counts', () => {
  it('counts each path under its own figure, and decision queries by answer', () => {
    expect(pathCounts(taken)).toEqual({
      decisionQueries: 2,
      precommitTimeouts: 1,
      recoveries: 3,
      relayResends: 1,
      decisionQueryAnswers: { commit: 2, no_answer: 1 },
    });
  });

  it('shows them in the coverage of liveness and stream-ordering', () => {
    const { history, obs } = committedRun();
    obs.path = taken;
    const live = checkSafe(liveness).check(history, obs, {});
    expect(live.valid).toBe(true);
    expect(live.coverage).toMatchObject({ decisionQueries: 2, precommitTimeouts: 1, recoveries: 3 });
    const stream = checkSafe(streamOrdering).check(history, obs, {});
    expect(stream.valid).toBe(true);
    expect(stream.coverage).toMatchObject({ relayResends: 1 });
  });

  it('shows a path never taken as 0, and the verdict still rests on the other figures', () => {
    const { history, obs } = committedRun();
    const live = checkSafe(liveness).check(history, obs, {});
    expect(live.valid).toBe(true);
    expect(live.coverage).toMatchObject({ decisionQueries: 0, precommitTimeouts: 0, recoveries: 0 });
    expect(checkSafe(streamOrdering).check(history, obs, {}).coverage).toMatchObject({ relayResends: 0 });
  });
});

describe('path counts: answers', () => {
  it('counts a decision query or pre-commit timeout whose answer was not logged as unknown, and a run with none as 0', () => {
    expect(pathCounts([path('decision-query'), path('precommit-timeout'), path('recovery')])).toEqual({
      decisionQueries: 1,
      precommitTimeouts: 1,
      recoveries: 1,
      relayResends: 0,
      decisionQueryAnswers: { unknown: 2 },
    });
    expect(pathCounts([])).toEqual({
      decisionQueries: 0,
      precommitTimeouts: 0,
      recoveries: 0,
      relayResends: 0,
      decisionQueryAnswers: {},
    });
  });

  it('passes every answer on to the liveness figures', () => {
    const { history, obs } = committedRun();
    obs.path = taken;
    expect(checkSafe(liveness).check(history, obs, {}).stats).toMatchObject({
      decisionQueryAnswers: { commit: 2, no_answer: 1 },
    });
  });
});
