// The participant's own Prometheus series (DESIGN section 2: transactions by outcome, in-doubt transactions,
// rejected messages), registered on the process registry beside the HTTP series.
import { Counter, Gauge, type Registry } from 'prom-client';

export interface ParticipantMetrics {
  votes: Counter<'vote' | 'reason'>;
  decisions: Counter<'state'>;
  inDoubt: Gauge;
  staleTokens: Counter;
}

export function createParticipantMetrics(registry: Registry): ParticipantMetrics {
  return {
    votes: new Counter({
      name: 'rig_participant_votes_total',
      help: 'Prepare votes, by vote and (for no) reason; yes votes have reason "none"',
      labelNames: ['vote', 'reason'],
      registers: [registry],
    }),
    decisions: new Counter({
      name: 'rig_participant_decisions_total',
      help: 'Phase-2 (and 3PC pre-commit) transitions applied, by the state they left',
      labelNames: ['state'],
      registers: [registry],
    }),
    inDoubt: new Gauge({
      name: 'rig_participant_in_doubt',
      help: 'Transactions prepared here and not yet committed or rolled back',
      registers: [registry],
    }),
    staleTokens: new Counter({
      name: 'rig_participant_stale_tokens_total',
      help: 'Requests refused because their fencing token was older than the highest seen',
      registers: [registry],
    }),
  };
}
