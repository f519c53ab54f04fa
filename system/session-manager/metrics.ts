// Session manager metrics (spec section 12): transactions, leadership, in-doubt transactions.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { latencyBuckets } from '../common/metrics.ts';

export function createSmMetrics(registry: Registry) {
  const registers = [registry];
  return {
    transactions: new Counter({
      name: 'rig_transactions_total',
      help: 'Transactions decided, by protocol, outcome and abort reason',
      labelNames: ['protocol', 'outcome', 'reason'] as const,
      registers,
    }),
    txnDuration: new Histogram({
      name: 'rig_transaction_duration_seconds',
      help: 'Time from intent to decision, by protocol and outcome',
      labelNames: ['protocol', 'outcome'] as const,
      buckets: latencyBuckets,
      registers,
    }),
    leader: new Gauge({ name: 'rig_leader', help: '1 while this node leads and is ready, else 0', registers }),
    epoch: new Gauge({
      name: 'rig_leader_epoch',
      help: 'The epoch (fencing token) this node last led with',
      registers,
    }),
    leadershipChanges: new Counter({
      name: 'rig_leadership_changes_total',
      help: 'Leadership events on this node, by event',
      labelNames: ['event'] as const,
      registers,
    }),
    inDoubt: new Gauge({ name: 'rig_in_doubt_transactions', help: 'Logged transactions not yet closed', registers }),
    recovered: new Counter({
      name: 'rig_recovered_transactions_total',
      help: 'Transactions finished by recovery instead of their own request, by decision',
      labelNames: ['decision'] as const,
      registers,
    }),
    eventsEmitted: new Counter({
      name: 'rig_events_emitted_total',
      help: 'Outbox rows appended to the stream',
      registers,
    }),
  };
}

export type SmMetrics = ReturnType<typeof createSmMetrics>;
