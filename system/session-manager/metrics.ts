// Session manager metrics (spec section 12): transactions, leadership, in-doubt transactions, the scheduler's
// queue delay and depth by traffic class, deadlocks by detection method.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { latencyBuckets } from '../common/metrics.ts';
import type { SchedulerObserver } from './scheduler.ts';

export function createSmMetrics(registry: Registry) {
  const registers = [registry];
  // Spread in this order: it is the order /metrics lists them in.
  return {
    ...transactionMetrics(registers),
    ...leadershipMetrics(registers),
    ...recoveryMetrics(registers),
    ...schedulerMetrics(registers),
    ...deadlockMetrics(registers),
  };
}

function transactionMetrics(registers: Registry[]) {
  return {
    transactions: new Counter({
      name: 'rig_transactions_total',
      help: 'Transactions decided, by kind (create, modify, release), protocol, outcome and abort reason',
      labelNames: ['kind', 'protocol', 'outcome', 'reason'] as const,
      registers,
    }),
    txnDuration: new Histogram({
      name: 'rig_transaction_duration_seconds',
      help: 'Time from intent to decision, by protocol and outcome',
      labelNames: ['protocol', 'outcome'] as const,
      buckets: latencyBuckets,
      registers,
    }),
  };
}

function leadershipMetrics(registers: Registry[]) {
  return {
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
  };
}

// The work that follows a decision, not part of any request: closing in-doubt rows, relaying the outbox.
function recoveryMetrics(registers: Registry[]) {
  return {
    inDoubt: new Gauge({
      name: 'rig_in_doubt_transactions',
      help: 'Logged transactions not yet closed (reported by the leader; 0 elsewhere)',
      registers,
    }),
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

function schedulerMetrics(registers: Registry[]) {
  return {
    queueDelay: new Histogram({
      name: 'rig_scheduler_queue_delay_seconds',
      help: 'Time a session request waited in the scheduler queue before a worker took it, by traffic class',
      labelNames: ['class'] as const,
      buckets: latencyBuckets,
      registers,
    }),
    queueDepth: new Gauge({
      name: 'rig_scheduler_queue_depth',
      help: 'Session requests waiting in the scheduler queue, by traffic class',
      labelNames: ['class'] as const,
      registers,
    }),
    shed: new Counter({
      name: 'rig_scheduler_shed_total',
      help: 'Session requests refused or dropped by admission control (503 overloaded), by class and reason',
      labelNames: ['class', 'reason'] as const,
      registers,
    }),
  };
}

function deadlockMetrics(registers: Registry[]) {
  return {
    deadlocks: new Counter({
      name: 'rig_deadlocks_total',
      help: 'Distributed deadlocks (wait-for cycles across participants) resolved, by method (detector | timeout)',
      labelNames: ['method'] as const,
      registers,
    }),
    deadlockResolution: new Histogram({
      name: 'rig_deadlock_resolution_seconds',
      help: 'From the moment a wait-for cycle closed to the moment it was gone, by method',
      labelNames: ['method'] as const,
      buckets: latencyBuckets,
      registers,
    }),
  };
}

export function schedulerObserver(m: SmMetrics): SchedulerObserver {
  return {
    started: (cls, queueMs) => m.queueDelay.observe({ class: cls }, queueMs / 1000),
    depth: (cls, depth) => m.queueDepth.set({ class: cls }, depth),
    shed: (cls, reason) => m.shed.inc({ class: cls, reason }),
  };
}

export type SmMetrics = ReturnType<typeof createSmMetrics>;
