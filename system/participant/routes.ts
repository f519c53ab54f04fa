// The participant's HTTP routes (all signed: the server verifies before a handler runs). Bodies are validated by
// contract.ts; errors become replies in common/http-server.ts, from the ServiceErrors made in errors.ts.
import type { Phase2 } from '../common/contract.ts';
import type { Route } from '../common/dispatch.ts';
import { parsePrepare, parseTokenBody, parseTxnId } from './contract.ts';
import type { Participant } from './participant.ts';

export function participantRoutes(p: Participant): Route[] {
  const decision = (action: Phase2): Route => ({
    method: 'POST',
    pattern: `/v1/txn/:txnId/${action}`,
    signed: true,
    handler: async (ctx) => {
      const txnId = parseTxnId(ctx.params.txnId);
      const { token } = parseTokenBody(ctx.body);
      return { status: 200, body: await p[action](txnId, token, 'leader') };
    },
  });
  return [
    {
      method: 'POST',
      pattern: '/v1/txn/:txnId/prepare',
      signed: true,
      handler: async (ctx) => {
        const txnId = parseTxnId(ctx.params.txnId);
        return { status: 200, body: await p.prepare(txnId, parsePrepare(ctx.body)) };
      },
    },
    decision('precommit'),
    decision('commit'),
    decision('abort'),
    {
      method: 'GET',
      pattern: '/v1/txn/:txnId',
      signed: true,
      handler: async (ctx) => ({ status: 200, body: await p.status(parseTxnId(ctx.params.txnId)) }),
    },
    {
      method: 'POST',
      pattern: '/v1/txn/:txnId/cancel',
      signed: true,
      handler: async (ctx) => {
        const txnId = parseTxnId(ctx.params.txnId);
        const { token } = parseTokenBody(ctx.body);
        return { status: 200, body: await p.cancel(txnId, token) };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/waits',
      signed: true,
      handler: async () => ({ status: 200, body: await p.waits() }),
    },
    {
      method: 'GET',
      pattern: '/v1/state',
      signed: true,
      handler: async () => ({ status: 200, body: await p.conservation() }),
    },
  ];
}
