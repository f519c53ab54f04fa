// Types of the data a report embeds, for checking the page's scripts (JSDoc, `tsc -p reports/client`). They mirror
// ReportModel in ../model.ts after the page has decoded it: typed arrays are typed arrays again.

/**
 * @typedef {object} ClientOps
 * @property {number} n
 * @property {Int32Array} invoke
 * @property {Int32Array} completion
 * @property {Uint16Array} process
 * @property {Float64Array} start
 * @property {Float32Array} latency
 * @property {Uint8Array} outcome
 * @property {Uint16Array} f
 * @property {Uint16Array} group
 * @property {Uint16Array} reason
 * @property {Uint16Array} request
 * @property {Uint16Array} result
 * @property {Float32Array} queueMs
 * @property {string[]} processes
 * @property {string[]} fs
 * @property {string[]} groups
 * @property {string[]} reasons
 * @property {string[]} summaries
 */

/**
 * @typedef {object} NemesisOp
 * @property {number} index
 * @property {number} completion
 * @property {string} f
 * @property {unknown} value
 * @property {number} startMs
 * @property {number} endMs
 * @property {string} type
 * @property {string} [error]
 */

/** @typedef {{ kind: string, label: string, startMs: number, endMs: number, openedBy: number, closedBy: number }} FaultWindow */
/** @typedef {{ label: string, atMs: number, index: number }} FaultInstant */

/**
 * @typedef {object} Buckets
 * @property {number} widthMs
 * @property {number} count
 * @property {number[]} p50
 * @property {number[]} p90
 * @property {number[]} p99
 * @property {number[]} okPerS
 * @property {number[]} failPerS
 * @property {number[]} infoPerS
 * @property {Record<string, number[]>} failRate
 */

/** @typedef {{ index: number, type: string, process: string, f: string, timeMs: number, value: string, error?: string }} OpDetail */
/** @typedef {{ type: string, key: string, ops: number[], explanation: string, details?: string }} Anomaly */
/** @typedef {{ name: string, valid: boolean | 'unknown', error?: string, counts: Record<string, number>, total: number, anomalies: Anomaly[] }} CheckerSection */

/**
 * @typedef {object} Report
 * @property {{ name: string, dir: string, durationMs: number, historyLength: number, seed: string, command: string }} meta
 * @property {boolean | 'unknown' | 'unchecked'} verdict
 * @property {CheckerSection[]} checkers
 * @property {{ ok: number, fail: number, info: number, open: number }} counts
 * @property {ClientOps} ops
 * @property {NemesisOp[]} nemesis
 * @property {{ windows: FaultWindow[], instants: FaultInstant[] }} faults
 * @property {Buckets} buckets
 * @property {OpDetail[]} details
 */

/**
 * One run in the store index.
 * @typedef {object} RunSummary
 * @property {string} name
 * @property {string} href
 * @property {string} verdict
 * @property {string} startedAt
 * @property {number} durationMs
 * @property {number} ok
 * @property {number} fail
 * @property {number} info
 * @property {number} p99Ms
 * @property {number} abortRate
 * @property {number} throughput
 */

export {};
