// Configuration from the environment: defaults as documented, bad values refused at start naming the variable.
import { describe, expect, it } from 'vitest';
import { createBillingDomain, readBillingConfig } from '../../billing/domain.ts';
import { Env } from '../../common/config.ts';
import { createRmDomain, readRmConfig } from '../../resource-manager/domain.ts';
import { readParticipantConfig } from '../config.ts';

const base = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/rm' };

describe('participant configuration', () => {
  it('has the documented defaults', () => {
    const config = readParticipantConfig(new Env(base), 'rm');
    expect(config).toEqual({
      node: 'rm',
      databaseUrl: base.DATABASE_URL,
      lockTimeoutMs: 2000,
      decisionQueryAfterMs: 5000,
      precommitTimeoutMs: 5000,
      commitOnPrecommitTimeout: false,
      waitsIntervalMs: 50,
      sessionManagers: new Map(),
      poolMax: 64,
    });
    expect(readRmConfig(new Env({}))).toEqual({ cells: 1000, cellCapacity: 1000 });
    expect(readBillingConfig(new Env({}))).toEqual({ subscribers: 100_000, initialBalance: 100_000 });
  });

  it('reads every setting', () => {
    const env = new Env({
      ...base,
      RIG_LOCK_TIMEOUT_MS: '250',
      RIG_DECISION_QUERY_AFTER_MS: '100',
      RIG_SESSION_MANAGERS: 'sm-1=http://127.0.0.1:7001,sm-2=http://127.0.0.1:7002',
      RIG_POOL_MAX: '8',
    });
    const config = readParticipantConfig(env, 'billing');
    expect(config.lockTimeoutMs).toBe(250);
    expect(config.decisionQueryAfterMs).toBe(100);
    expect([...config.sessionManagers.keys()]).toEqual(['sm-1', 'sm-2']);
    expect(config.poolMax).toBe(8);
  });

  it('refuses bad values, naming the variable', () => {
    expect(() => readParticipantConfig(new Env({}), 'rm')).toThrow('DATABASE_URL is required');
    expect(() => readParticipantConfig(new Env({ ...base, RIG_LOCK_TIMEOUT_MS: 'soon' }), 'rm')).toThrow(
      'RIG_LOCK_TIMEOUT_MS',
    );
    expect(() => readParticipantConfig(new Env({ ...base, RIG_SESSION_MANAGERS: 'sm-1' }), 'rm')).toThrow(
      'RIG_SESSION_MANAGERS',
    );
    expect(() => readParticipantConfig(new Env(base), "rm'1")).toThrow('RIG_NODE');
    expect(() => readParticipantConfig(new Env({ ...base, RIG_BUG: 'no-such-bug' }), 'rm')).toThrow('RIG_BUG');
    expect(readParticipantConfig(new Env({ ...base, RIG_BUG: '3pc-timeout-commit' }), 'rm')).toMatchObject({
      commitOnPrecommitTimeout: true,
    });
    expect(() => readRmConfig(new Env({ RIG_CELLS: '0' }))).toThrow('RIG_CELLS');
    expect(() => readBillingConfig(new Env({ RIG_INITIAL_BALANCE: '-5' }))).toThrow('RIG_INITIAL_BALANCE');
  });

  it('finds every statement the domains use', () => {
    const rm = createRmDomain(new Env({})).statements;
    for (const name of ['seed', 'reserve_cell', 'totals', 'overbooked']) expect(rm.text(name)).toBeTruthy();
    expect(rm.migrations.map((m) => m.name)).toEqual(['resource-manager/0001_schema.sql']);
    const billing = createBillingDomain(new Env({})).statements;
    for (const name of ['seed', 'hold', 'totals', 'negative']) expect(billing.text(name)).toBeTruthy();
  });
});
