// Decoding the embedded data and the indices the page navigates by: ops per process lane (for the timeline), what
// each history index is (for the ops table and #op-<index> links), and which anomalies cite each op.

/** @typedef {import('./types.js').Report} Report */

const TYPED = {
  Int32Array,
  Uint32Array,
  Uint16Array,
  Uint8Array,
  Float32Array,
  Float64Array,
};

/** @param {string} type @param {string} b64 */
function decodeTyped(type, b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  const Ctor = TYPED[/** @type {keyof typeof TYPED} */ (type)];
  if (!Ctor) throw new Error(`unknown typed array ${type} in the report data`);
  return new Ctor(bytes.buffer);
}

/** @param {string} _key @param {unknown} value */
function revive(_key, value) {
  if (value !== null && typeof value === 'object' && '$t' in value && 'b64' in value) {
    return decodeTyped(String(value.$t), String(value.b64));
  }
  return value;
}

/** JSON has no NaN: the series carry null for "no value". @param {(number | null)[]} a */
export const nan = (a) => a.map((v) => (v === null ? Number.NaN : v));

/** @returns {unknown} */
export function readEmbedded() {
  const el = document.getElementById('report-data');
  if (!el) throw new Error('the page has no #report-data element');
  return JSON.parse(el.textContent || 'null', revive);
}

/** Row roles in the ops table. */
export const ROLE = { invoke: 0, completion: 1, nemesisInvoke: 2, nemesisCompletion: 3, none: 255 };

/**
 * @param {Report} r
 */
export function indexReport(r) {
  const ops = r.ops;
  const n = r.meta.historyLength;
  // Per history index: which op it belongs to and in what role.
  const rowOp = new Int32Array(n).fill(-1);
  const rowRole = new Uint8Array(n).fill(ROLE.none);
  for (let i = 0; i < ops.n; i++) {
    rowOp[ops.invoke[i]] = i;
    rowRole[ops.invoke[i]] = ROLE.invoke;
    const c = ops.completion[i];
    if (c >= 0) {
      rowOp[c] = i;
      rowRole[c] = ROLE.completion;
    }
  }
  r.nemesis.forEach((op, k) => {
    rowOp[op.index] = k;
    rowRole[op.index] = ROLE.nemesisInvoke;
    if (op.completion >= 0) {
      rowOp[op.completion] = k;
      rowRole[op.completion] = ROLE.nemesisCompletion;
    }
  });
  return {
    rowOp,
    rowRole,
    lanes: lanes(r),
    citedBy: citations(r),
    details: new Map(r.details.map((d) => [d.index, d])),
  };
}

/** Processes in numeric order where they are numbers, each with its op ids in invocation order. @param {Report} r */
function lanes(r) {
  const ops = r.ops;
  const order = ops.processes.map((_, i) => i);
  const num = (/** @type {number} */ i) => Number(ops.processes[i]);
  order.sort((a, b) => num(a) - num(b) || ops.processes[a].localeCompare(ops.processes[b]));
  const laneOf = new Int32Array(ops.processes.length);
  order.forEach((p, lane) => {
    laneOf[p] = lane;
  });
  const sizes = new Int32Array(order.length);
  for (let i = 0; i < ops.n; i++) sizes[laneOf[ops.process[i]]]++;
  const lists = Array.from(sizes, (s) => new Int32Array(s));
  const fill = new Int32Array(order.length);
  for (let i = 0; i < ops.n; i++) {
    const lane = laneOf[ops.process[i]];
    lists[lane][fill[lane]++] = i;
  }
  return order.map((p, lane) => ({ name: ops.processes[p], ops: lists[lane] }));
}

/** history index -> the anomalies citing it. @param {Report} r */
function citations(r) {
  /** @type {Map<number, string[]>} */
  const out = new Map();
  for (const c of r.checkers) {
    for (const a of c.anomalies) {
      for (const i of a.ops) {
        const list = out.get(i) ?? [];
        list.push(`${c.name}: ${a.type} ${a.key}`);
        out.set(i, list);
      }
    }
  }
  return out;
}

/** @typedef {ReturnType<typeof indexReport>} ReportIndex */
