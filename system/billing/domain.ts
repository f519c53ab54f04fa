// Billing's part of a participant: subscriber accounts with a balance, held credit and charged credit. A create's
// prepare holds the session's amount (balance -= amount, held += amount) when the balance covers it; a modify's moves
// the hold to the new amount; a release's charges the hold (held -= amount, charged += amount: docs/api.md).
import type { Env } from '../common/config.ts';
import { Statements, toSafeInt } from '../common/statements.ts';
import type { Domain } from '../participant/domain.ts';

export interface BillingConfig {
  subscribers: number;
  initialBalance: number;
}

/** Negative-balance account ids listed by /v1/state, at most. */
const negativeListMax = 1000;

// Bounds keep every total (subscribers x balance) a safe integer in JSON.
export function readBillingConfig(env: Env): BillingConfig {
  return {
    subscribers: env.int('RIG_SUBSCRIBERS', 100_000, 1, 10_000_000),
    initialBalance: env.int('RIG_INITIAL_BALANCE', 100_000, 0, 100_000_000),
  };
}

export function createBillingDomain(env: Env): Domain {
  const config = readBillingConfig(env);
  const statements = Statements.load('billing', new URL('./sql/', import.meta.url));
  return {
    service: 'billing',
    statements,
    async seed(sql) {
      await statements.run(sql, 'seed', [config.subscribers, config.initialBalance]);
    },
    reservations(req) {
      const resource = `account:${req.subscriberId}`;
      if (req.kind === 'create') return [{ resource, statement: 'hold', params: [req.subscriberId, req.amount] }];
      const before = req.release?.amount ?? 0;
      if (req.kind === 'release') return [{ resource, statement: 'settle', params: [req.subscriberId, before] }];
      return [{ resource, statement: 'adjust_hold', params: [req.subscriberId, before, req.amount] }];
    },
    async totals(sql) {
      const [row] = await statements.run(sql, 'totals');
      const negative = await statements.run(sql, 'negative', [negativeListMax]);
      return {
        accounts: toSafeInt(row?.accounts, 'accounts'),
        balance: toSafeInt(row?.balance, 'balance'),
        held: toSafeInt(row?.held, 'held'),
        charged: toSafeInt(row?.charged, 'charged'),
        negative: negative.map((r) => String(r.id)),
      };
    },
  };
}
