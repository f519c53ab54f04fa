// Billing's evidence for the rig: a snapshot of its accounts, read from its own database.
import type { AccountRecord } from '../../format/observations.ts';
import { type Queryable, Statements } from '../common/statements.ts';

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
      at,
    }),
  );
}
