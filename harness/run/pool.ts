// The session pool behind the workloads' slot ops. A workload cannot see results, so its ops on existing sessions
// name a slot; the pool resolves the slot, when the op is invoked, to the session last created into it, and learns
// from every completion. What a client sends with `If-Match` is the revision *that client* last saw for the session
// (from its own create, read and modify answers, or a 412's current revision); one that never saw it uses the
// revision its creation answered. So a client that fell behind gets 412, and clients that saw the same revision race.
// The history records the resolved request (session id, ifMatch), never the slot.
import type { OpSpec } from '../../workloads/index.ts';
import type {
  Completion,
  CreateSessionValue,
  ModifySessionValue,
  ReadSessionValue,
  ReleaseSessionValue,
} from './client.ts';

/** An op as invoked: what the history records, and the slot it acts on (the pool's own bookkeeping). */
export type Invocation =
  | { f: 'create-session'; value: CreateSessionValue; slot: number | undefined }
  | { f: 'read-session'; value: ReadSessionValue; slot: number }
  | { f: 'modify-session'; value: ModifySessionValue; slot: number }
  | { f: 'release-session'; value: ReleaseSessionValue; slot: number };

interface Seen {
  sessionId: string;
  revision: number;
}

/** Session statuses after which the session can never change again: its slot is free for a new one. */
const finished = new Set(['RELEASED', 'ABORTED']);

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export class SessionPool {
  /** slot -> the session last created into it, with the revision its creation answered. */
  private readonly slots = new Map<number, Seen>();
  /** client -> slot -> the revision that client last saw for the slot's session. */
  private readonly seen = new Map<number, Map<number, Seen>>();

  /** The op as the client `client` invokes it now. */
  resolve(spec: OpSpec, client: number): Invocation {
    if (spec.f === 'create-session') return { f: spec.f, value: spec.value, slot: spec.slot };
    const held = this.slots.get(spec.slot);
    if (!held) return { f: 'create-session', value: { requestId: spec.requestId, ...spec.orCreate }, slot: spec.slot };
    const sessionId = held.sessionId;
    if (spec.f === 'read-session') return { f: spec.f, value: { sessionId }, slot: spec.slot };
    const ifMatch = spec.conditional ? { ifMatch: this.revisionFor(client, spec.slot, held) } : {};
    if (spec.f === 'release-session')
      return { f: spec.f, value: { requestId: spec.requestId, sessionId, ...ifMatch }, slot: spec.slot };
    return { f: spec.f, value: { requestId: spec.requestId, sessionId, ...ifMatch, ...spec.change }, slot: spec.slot };
  }

  /** Learns from the completion of `op`, invoked by `client`. */
  learn(op: Invocation, client: number, done: Completion): void {
    if (op.slot === undefined) return;
    const v = done.value;
    if (op.f === 'create-session') {
      const sessionId = str(v.sessionId);
      if (done.type !== 'ok' || sessionId === undefined) return;
      const created = { sessionId, revision: num(v.revision) ?? 1 };
      this.slots.set(op.slot, created);
      this.see(client, op.slot, created);
      return;
    }
    const sessionId = op.value.sessionId;
    const revision = num(v.revision);
    if (done.type === 'ok') {
      if (op.f === 'release-session' || finished.has(String(v.status))) this.free(op.slot, sessionId);
      else if (revision !== undefined) this.see(client, op.slot, { sessionId, revision });
      return;
    }
    if (done.type !== 'fail') return;
    if (v.status === 412 && revision !== undefined) this.see(client, op.slot, { sessionId, revision });
    // Released, aborted or unknown: no later op can change it, so the slot gets a new session.
    if (v.status === 404 || (v.code === 'not_active' && finished.has(String(v.reason)))) {
      this.free(op.slot, sessionId);
    }
  }

  /** The session a slot holds now, if any (for tests and progress). */
  sessionIn(slot: number): string | undefined {
    return this.slots.get(slot)?.sessionId;
  }

  private revisionFor(client: number, slot: number, held: Seen): number {
    const mine = this.seen.get(client)?.get(slot);
    return mine?.sessionId === held.sessionId ? mine.revision : held.revision;
  }

  private see(client: number, slot: number, s: Seen): void {
    const mine = this.seen.get(client) ?? new Map<number, Seen>();
    this.seen.set(client, mine);
    mine.set(slot, s);
  }

  /** Empties the slot, unless a newer session took it meanwhile. */
  private free(slot: number, sessionId: string): void {
    if (this.slots.get(slot)?.sessionId === sessionId) this.slots.delete(slot);
  }
}
