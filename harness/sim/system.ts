// The whole system in one process: the gateway, the session managers and both participants, each built by its own
// build function (system/*/build.ts) from the same configuration readers and environment a real cluster gives its
// processes (harness/cluster/cluster.ts), on simulated ports: a virtual clock and seeded Random per node, peers over
// the simulated network, and the models of Redis and PostgreSQL (harness/sim/models/) behind their own network nodes. Every
// link has the real one's name (`sm-1->redis`, `gateway->sm-2`, `rm->postgres` ...), so a nemesis can cut the same
// links in simulation as through the fault proxy.

import { createBillingDomain, readBillingConfig } from '../../system/billing/domain.ts';
import { Env } from '../../system/common/config.ts';
import type { Dispatch } from '../../system/common/dispatch.ts';
import { createDispatcher } from '../../system/common/dispatch.ts';
import type { Logger } from '../../system/common/log.ts';
import type { PeerPort } from '../../system/common/peer-port.ts';
import { seededRandom } from '../../system/common/random.ts';
import { createRuntime, type Runtime, type ServiceParts, serviceDispatch } from '../../system/common/service.ts';
import { buildGateway, readGatewayConfig } from '../../system/edge-gateway/build.ts';
import { buildParticipant } from '../../system/participant/build.ts';
import { readParticipantConfig } from '../../system/participant/config.ts';
import { inFlightPerConnection } from '../../system/participant/run.ts';
import { createRmDomain, readRmConfig } from '../../system/resource-manager/domain.ts';
import { buildSessionManager } from '../../system/session-manager/build.ts';
import { readSessionManagerConfig } from '../../system/session-manager/config.ts';
import { HttpParticipant } from '../../system/session-manager/participants.ts';
import { HealSteps } from '../nemesis/heal.ts';
import type { NemesisContext } from '../nemesis/types.ts';
import type { GatewayTransport } from '../run/client.ts';
import { answerBody } from '../run/client.ts';
import type { NemesisTarget } from '../run/nemesis-loop.ts';
import type { Kernel } from './kernel.ts';
import { ParticipantModel } from './models/participant.ts';
import { RedisModel } from './models/redis.ts';
import { TxLogModel } from './models/txlog.ts';
import { NetworkError, remote, SimNetwork } from './network.ts';
import { SimPeer } from './peer.ts';

export const participantNodes = ['rm', 'billing'] as const;
export type ParticipantNode = (typeof participantNodes)[number];

export interface SimSystemOptions {
  /** Session managers. */
  nodes: number;
  /** RIG_* settings every service gets, as a real cluster passes them (lease TTL, sizes, planted bug ...). */
  env: Record<string, string>;
  seed: number;
}

/** The rig's own node, which makes the faults (its calls bypass the proxies, as the real probes' do). */
const nemesisNode = 'nemesis';
/** How long Redis is down when it restarts in place (virtual ms). */
const redisRestartMs = 200;

/** Thrown at an armed crash point, after the node is dead: it unwinds the dead node's stack. */
export class SimCrash extends Error {
  constructor(node: string, point: string) {
    super(`${node} crashed at ${point}`);
    this.name = 'SimCrash';
  }
}

/** The node where each store lives, as the real stores are servers of their own. */
const storeNodes = { redis: 'redis', postgres: 'postgres' } as const;

export class SimSystem {
  readonly net: SimNetwork;
  readonly smNodes: string[];
  readonly redis: RedisModel;
  readonly txlog: TxLogModel;
  readonly participants: Record<ParticipantNode, ParticipantModel>;
  /** Each node's log lines, as its process would have written them to logs/<node>.log. */
  readonly logs = new Map<string, string[]>();
  private readonly dispatchers = new Map<string, Dispatch>();
  private readonly parts = new Map<string, ServiceParts>();
  private readonly runtimes = new Map<string, Runtime>();
  private readonly env: Record<string, string>;
  /** A service that failed to start: the run cannot go on. */
  startFailure: Error | undefined;

  constructor(
    readonly kernel: Kernel,
    opts: SimSystemOptions,
  ) {
    this.net = new SimNetwork(kernel);
    this.smNodes = Array.from({ length: opts.nodes }, (_, i) => `sm-${i + 1}`);
    const hmac = seededRandom(opts.seed).uuid().replaceAll('-', '');
    const url = (node: string) => `${node}=http://${node}.sim`;
    this.env = {
      RIG_HMAC_KEYS: `k1:${hmac}`,
      RIG_SEED: String(opts.seed),
      RIG_SESSION_MANAGERS: this.smNodes.map(url).join(','),
      RIG_PARTICIPANTS: participantNodes.map(url).join(','),
      DATABASE_URL: 'postgres://postgres.sim/db',
      REDIS_URL: 'redis://redis.sim',
      ...opts.env,
    };
    const envOf = new Env(this.env);
    const { adapters } = readSessionManagerConfig(envOf);
    this.redis = new RedisModel(kernel.clock(storeNodes.redis));
    this.txlog = new TxLogModel(kernel.clock(storeNodes.postgres), { fencing: adapters.fencing });
    const pgClock = kernel.clock(storeNodes.postgres);
    const participantConfig = readParticipantConfig(envOf, 'rm');
    const sizes = { ...readRmConfig(envOf), ...readBillingConfig(envOf) };
    const model = (node: ParticipantNode) =>
      new ParticipantModel(pgClock, {
        domain: node,
        node,
        lockTimeoutMs: participantConfig.lockTimeoutMs,
        waitsIntervalMs: participantConfig.waitsIntervalMs,
        ...sizes,
        // The lock waits the real participant's wait reader (waits.ts) logs: into the participant's own log.
        logger: this.deferredLogger(node),
      });
    this.participants = { rm: model('rm'), billing: model('billing') };
    // The real cluster's proxies (harness/cluster/cluster.ts): the links a nemesis may act on.
    for (const sm of this.smNodes) {
      for (const to of [storeNodes.redis, storeNodes.postgres, ...participantNodes]) this.net.declare(sm, to);
      for (const p of participantNodes) this.net.declare(p, sm);
      this.net.declare('gateway', sm);
    }
    for (const p of participantNodes) this.net.declare(p, storeNodes.postgres);
  }

  /** Starts every service (each as an event of its own node); run the kernel for them to come up. */
  start(): void {
    // A failure is kept in startFailure, which the run looks at.
    for (const node of this.serviceNodes) this.startService(node).catch(() => {});
  }

  /** Every service node: the participants, the session managers, the gateway. */
  get serviceNodes(): string[] {
    return [...participantNodes, ...this.smNodes, 'gateway'];
  }

  /** Starts the service of `node` as an event of its own; resolves once it answers, rejects if it cannot start. */
  private startService(node: string): Promise<void> {
    if (node === 'gateway') return this.startNode(node, 'edge-gateway', async (rt) => this.buildGateway(rt));
    if (node === 'rm' || node === 'billing') {
      const service = node === 'rm' ? 'resource-manager' : 'billing';
      return this.startNode(node, service, (rt) => this.buildParticipant(rt, node));
    }
    return this.startNode(node, 'session-manager', (rt) => this.buildSessionManager(rt));
  }

  /** The node's process dies (SIGKILL): its service stops answering, and a participant's open transactions roll back. */
  kill(node: string): void {
    this.kernel.kill(node);
    this.dispatchers.delete(node);
    this.parts.delete(node);
    if (node === 'rm' || node === 'billing') this.participants[node].crash();
  }

  /** The killed node's process starts again, as a new generation; resolves once it answers. */
  restart(node: string): Promise<void> {
    if (this.kernel.node(node).alive) return Promise.resolve();
    this.kernel.restart(node);
    return this.startService(node);
  }

  /** The nemeses' view of this system (harness/nemesis/types.ts), and the final heal, in virtual time. */
  nemesisTarget(leaseTtlMs: number): NemesisTarget {
    const ctx: NemesisContext = {
      net: this.net,
      cluster: {
        nodes: this.smNodes,
        kill: async (node) => this.kill(node),
        restart: (node) => this.restart(node),
        // Half the pauses land as the node sends (mid-work, as a SIGSTOP mostly does), half between its events.
        pause: (node) => this.kernel.pause(node, { atNextSend: this.kernel.rng.chance(0.5) }),
        resume: (node) => this.kernel.resume(node),
      },
      restartRedis: () => this.restartRedis(),
      leader: async () => this.leader(),
      setFaults: (node, settings) => this.setFaults(node, settings),
      leaseTtlMs,
    };
    return {
      ctx,
      finalHeal: async () => {
        const steps = new HealSteps();
        const healed = await this.net.heal();
        const restarted: string[] = [];
        if (!this.kernel.node(storeNodes.redis).alive) await steps.run('restart redis', () => this.restartRedis());
        for (const node of this.serviceNodes) {
          if (this.kernel.node(node).alive) {
            this.kernel.resume(node);
            await steps.run(`clear the fault settings of ${node}`, () => this.setFaults(node, {}));
          } else if (await steps.run(`restart ${node}`, () => this.restart(node))) restarted.push(node);
        }
        return steps.finish({ healed, restarted });
      },
      close: async () => {},
    };
  }

  /** Redis restarts in place: its connections reset while it is down, its data (append-only file) kept. */
  private async restartRedis(): Promise<void> {
    this.kernel.kill(storeNodes.redis);
    await this.kernel.clock(nemesisNode).sleep(redisRestartMs);
    this.kernel.restart(storeNodes.redis);
    this.redis.restart();
  }

  /** PUT /admin/faults on `node`, signed, straight to it (as the rig's probes do, past the fault proxies). */
  private async setFaults(node: string, settings: Record<string, unknown>): Promise<void> {
    const rt = this.runtimes.get(node);
    if (!rt) throw new Error(`${node} is not running`);
    const peer = new SimPeer(
      this.net,
      nemesisNode,
      node,
      this.dispatchers,
      rt.ring,
      this.kernel.clock(nemesisNode),
      rt.random,
    );
    const r = await peer.call('PUT', '/admin/faults', settings, { timeoutMs: 10_000 });
    if (r.status !== 200) throw new Error(`PUT /admin/faults on ${node}: ${r.status} ${JSON.stringify(r.body)}`);
  }

  /** Every service answers, and one session manager leads. */
  ready(): boolean {
    return this.dispatchers.size === this.smNodes.length + participantNodes.length + 1 && this.leader() !== undefined;
  }

  /** The session manager that leads now, if any (as its own health report says). */
  leader(): string | undefined {
    for (const node of this.smNodes) {
      // A paused process answers nobody, the rig's probe included.
      if (this.kernel.node(node).paused) continue;
      const status = this.parts.get(node)?.health?.() as { role?: string; ready?: boolean } | undefined;
      if (status?.role === 'leader' && status.ready) return node;
    }
    return undefined;
  }

  /** The gateway as a client on `from` reaches it: over the simulated network, bounded by `timeoutMs` a call. */
  gatewayTransport(from: string, timeoutMs: number): GatewayTransport {
    return {
      send: (method, path, body, headers) => {
        const payload = body === undefined ? '' : JSON.stringify(body);
        const received: Record<string, string> = Object.fromEntries(
          Object.entries({
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            'content-length': String(Buffer.byteLength(payload)),
            ...headers,
          }).map(([k, v]) => [k.toLowerCase(), v]),
        );
        return this.net.request(
          from,
          'gateway',
          `${method} ${path}`,
          async () => {
            const dispatch = this.dispatchers.get('gateway');
            if (!dispatch) throw new NetworkError('ECONNREFUSED', 'the gateway is not listening');
            const reply = await dispatch(method, path, received, async () => Buffer.from(payload, 'utf8'));
            return {
              status: reply.status,
              body: answerBody(reply.body === undefined ? (reply.text ?? '') : JSON.stringify(reply.body)),
            };
          },
          { timeoutMs },
        );
      },
      close: () => {},
    };
  }

  /** Stops every service's background work, as SIGTERM would (run the kernel for it to finish). */
  async stop(): Promise<void> {
    for (const [node, parts] of this.parts) {
      this.dispatchers.delete(node);
      await parts.close();
    }
    this.parts.clear();
  }

  /** The log of `node` as text, one line each. */
  logText(node: string): string {
    return (this.logs.get(node) ?? []).join('');
  }

  /** The logger of `node`'s service once it runs (a line logged before it starts, or after it stopped, is lost). */
  private deferredLogger(node: string): Logger {
    const current = () => this.runtimes.get(node)?.logger;
    return {
      log: (level, msg, fields) => current()?.log(level, msg, fields),
      info: (msg, fields) => current()?.info(msg, fields),
      warn: (msg, fields) => current()?.warn(msg, fields),
      error: (msg, fields) => current()?.error(msg, fields),
      observe: (obs, record) => current()?.observe(obs, record),
    };
  }

  private runtime(service: string, node: string): Runtime {
    // One log per node across its restarts, as a process appends to its log file.
    const lines = this.logs.get(node) ?? [];
    this.logs.set(node, lines);
    const rt = createRuntime(service, new Env({ ...this.env, RIG_NODE: node }), {
      clock: this.kernel.clock(node),
      // A seed of its own per node, from the run's: two nodes never draw the same ids.
      random: seededRandom(this.kernel.rng.fork(`random:${node}`).nextU32()),
      write: (line) => lines.push(line),
      processMetrics: false,
      // An armed crash point: the node dies there, and the rest of what it was doing with it.
      onCrash: (point) => {
        this.kill(node);
        throw new SimCrash(node, point);
      },
    });
    this.runtimes.set(node, rt);
    return rt;
  }

  private startNode(node: string, service: string, build: (rt: Runtime) => Promise<ServiceParts>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.kernel.schedule(0, this.kernel.node(node), `start ${node}`, () => {
        const rt = this.runtime(service, node);
        build(rt).then(
          (parts) => {
            this.parts.set(node, parts);
            this.dispatchers.set(node, createDispatcher(serviceDispatch(rt, parts)));
            // As the process shell does once it listens (service.ts): the evidence readers take it as the start of a
            // new process, whose predecessor's open lock waits ended with it.
            rt.logger.observe('listening', { port: 0 });
            resolve();
          },
          (err: unknown) => {
            const failure = new Error(`${node} could not start: ${(err as Error).stack ?? String(err)}`);
            this.startFailure ??= failure;
            reject(failure);
          },
        );
      });
    });
  }

  private peer(rt: Runtime, to: string): SimPeer {
    return new SimPeer(this.net, rt.node, to, this.dispatchers, rt.ring, rt.clock, rt.random);
  }

  private async buildParticipant(rt: Runtime, node: ParticipantNode): Promise<ServiceParts> {
    const config = readParticipantConfig(rt.env, node);
    const domain = node === 'rm' ? createRmDomain(rt.env) : createBillingDomain(rt.env);
    const model = remote(this.net, node, storeNodes.postgres, this.participants[node], participantStatementDeadlineMs);
    const managers = new Map<string, PeerPort>(this.smNodes.map((sm) => [sm, this.peer(rt, sm)]));
    return buildParticipant({
      config,
      inFlightMax: config.poolMax * inFlightPerConnection,
      store: model,
      waits: model,
      fenceStore: model,
      domain,
      clock: rt.clock,
      logger: rt.logger,
      registry: rt.metrics.registry,
      faults: rt.faults,
      managers,
    });
  }

  private async buildSessionManager(rt: Runtime): Promise<ServiceParts> {
    const node = rt.node;
    const { config, adapters } = readSessionManagerConfig(rt.env);
    const store = remote(
      this.net,
      node,
      storeNodes.redis,
      this.redis.store(node, adapters.store),
      adapters.queryTimeoutMs,
    );
    const txlog = remote(this.net, node, storeNodes.postgres, this.txlog, adapters.queryTimeoutMs);
    const participants = participantNodes.map((p) => new HttpParticipant(p, this.peer(rt, p)));
    return buildSessionManager({
      config,
      node,
      lease: store,
      dsm: store,
      stream: store,
      txlog,
      participants,
      waitSources: participants,
      clock: rt.clock,
      random: rt.random,
      logger: rt.logger,
      registry: rt.metrics.registry,
      faults: rt.faults,
    });
  }

  private buildGateway(rt: Runtime): ServiceParts {
    const managers = new Map<string, PeerPort>(this.smNodes.map((sm) => [sm, this.peer(rt, sm)]));
    return buildGateway({
      config: readGatewayConfig(rt.env),
      managers,
      clock: rt.clock,
      random: rt.random,
      metrics: rt.metrics,
    });
  }
}

/**
 * How long a participant waits for its database to answer a call that got lost on the network. The real pool has no
 * deadline of its own; its server ends a stalled session after idle_in_transaction_session_timeout (run.ts), 30 s.
 */
const participantStatementDeadlineMs = 30_000;
