// Billing's evidence for the rig: a snapshot of its accounts, read from its own database.
import type { AccountRecord } from '../../format/observations.ts';
import { type Queryable, Statements } from '../common/statements.ts';
import { type DetailFields, releasedOf } from '../participant/evidence.ts';

const statements = Statements.load('billing', new URL('./sql/', import.meta.url));

/**
 * Every account as committed at `at` (ns). The `held` column is credit committed sessions hold, which the format
 * calls spent; credit a prepared transaction holds is not visible in committed rows, so `held` is left out.
 */
export async function readAccounts(
  sql: Queryable,
  phase: AccountRecord['phase'],
  at: number,
): Promise<AccountRecord[]> {
  return (await statements.run(sql, 'evidence_accounts')).map(
    (r): AccountRecord => ({
      kind: 'account',
      accountId: String(r.id),
      phase,
      balance: Number(r.balance),
      spent: Number(r.held),
      charged: Number(r.charged),
      at,
    }),
  );
}

/**
 * Billing's part of a transaction's recorded detail (participant_txn.detail): the account held and the amount, and
 * (modify, release) the amount the session held before. A field the prepare did not record is left out, never
 * defaulted. The account is the subscriber: `hold` keys accounts by subscriber id.
 */
export function chargeOf(detail: Readonly<Record<string, unknown>>): DetailFields {
  const { subscriberId, amount } = detail;
  const released = releasedOf(detail)?.amount;
  return {
    ...(typeof subscriberId === 'string' ? { accountId: subscriberId } : {}),
    ...(isAmount(amount) ? { amount } : {}),
    ...(isAmount(released) ? { releasedAmount: released } : {}),
  };
}

const isAmount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
