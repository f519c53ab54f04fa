// Proves rig bench's list options accept what the help says and refuse the rest with a message naming the flag.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../args/args.ts';
import { concurrencyList, defaultConcurrency, protocolList } from '../options.ts';

describe('bench options', () => {
  it('sorts and de-duplicates concurrency levels, with the defaults when absent', () => {
    expect(concurrencyList(undefined)).toEqual(defaultConcurrency);
    expect(concurrencyList('16, 1,4,16')).toEqual([1, 4, 16]);
  });

  it('refuses a level that is not a whole number in range', () => {
    for (const bad of ['0', '2.5', 'x', '', '1,65']) {
      expect(() => concurrencyList(bad)).toThrow(UsageError);
    }
    expect(() => concurrencyList('0')).toThrow(/--concurrency must be a comma list of whole numbers from 1 to/);
  });

  it('keeps protocols in the order given and refuses unknown ones', () => {
    expect(protocolList(undefined)).toEqual(['2pc', '3pc']);
    expect(protocolList('3pc,2pc,3pc')).toEqual(['3pc', '2pc']);
    expect(() => protocolList('2pc,4pc')).toThrow('--protocol must be a comma list of 2pc, 3pc, got "2pc,4pc"');
  });
});
