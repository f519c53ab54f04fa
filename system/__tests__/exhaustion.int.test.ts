// Capacity and credit run out: the transaction aborts cleanly with the reason, nothing is left reserved or
// prepared, and the totals still add up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SystemFixture, startSystem, subscriber } from './support.ts';

let sys: SystemFixture;
beforeAll(async () => {
  sys = await startSystem({
    nodes: 1,
    nodeEnv: {
      rm: { RIG_CELL_CAPACITY: '2', RIG_CELLS: '10' },
      billing: { RIG_INITIAL_BALANCE: '12', RIG_SUBSCRIBERS: '100' },
    },
  });
});
afterAll(async () => {
  await sys?.stop();
});

async function state(node: 'rm' | 'billing') {
  return (await sys.peer(node).call<Record<string, unknown>>('GET', '/v1/state', undefined, { timeoutMs: 5000 })).body;
}

describe('resource exhaustion', () => {
  it('aborts with no_capacity once a cell is full, releasing the credit it held', async () => {
    const make = (i: number) =>
      sys.createSession({ subscriberId: subscriber(i), trafficClass: 'voice', protocol: '2pc', cells: ['cell-3'] });
    expect((await make(1)).status).toBe(201);
    expect((await make(2)).status).toBe(201);
    const third = await make(3);
    expect(third.status).toBe(409);
    expect(third.body).toMatchObject({ code: 'aborted', reason: 'no_capacity' });
    const rm = await state('rm');
    expect(rm).toMatchObject({ used: 2, overbooked: [], prepared: [] });
    const billing = await state('billing');
    expect(billing).toMatchObject({ held: 10, negative: [], prepared: [] });
    expect(Number(billing.balance) + Number(billing.held)).toBe(12 * 100);
  });

  it('aborts with no_credit once a balance is spent, releasing the channel it held', async () => {
    const usedBefore = Number((await state('rm')).used);
    const make = (cell: string) =>
      sys.createSession({ subscriberId: subscriber(50), trafficClass: 'voice', protocol: '2pc', cells: [cell] });
    expect((await make('cell-5')).status).toBe(201);
    expect((await make('cell-6')).status).toBe(201);
    const third = await make('cell-7');
    expect(third.status).toBe(409);
    expect(third.body).toMatchObject({ code: 'aborted', reason: 'no_credit' });
    expect(Number((await state('rm')).used)).toBe(usedBefore + 2);
    expect(await state('billing')).toMatchObject({ negative: [], prepared: [] });
  });
});
