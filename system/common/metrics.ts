// Prometheus metrics (spec section 12). One registry per process, served at /metrics.
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface HttpMetrics {
  registry: Registry;
  requests: Counter<'endpoint' | 'method' | 'status'>;
  latency: Histogram<'endpoint' | 'method' | 'status'>;
  rejected: Counter<'reason'>;
}

// Buckets in seconds from 0.5 ms to 10 s: commits on a fsyncing disk sit in the low milliseconds.
const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** `processMetrics`: Node's own process series (CPU, memory, event loop), for a real process. */
export function createHttpMetrics(service: string, node: string, processMetrics = true): HttpMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service, node });
  if (processMetrics) collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: 'rig_http_requests_total',
      help: 'HTTP requests served, by endpoint (route pattern), method and status code',
      labelNames: ['endpoint', 'method', 'status'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'rig_http_request_duration_seconds',
      help: 'HTTP request latency, by endpoint, method and status code',
      labelNames: ['endpoint', 'method', 'status'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'rig_rejected_messages_total',
      help: 'Requests refused at the trust boundary or by validation, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}

export { latencyBuckets };
