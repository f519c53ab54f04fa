// Proves validation and normalisation: aliases and id forms map to one canonical request, every bad field is
// named, and no input whatsoever throws (fast-check).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cellsPerRequestMax } from '../../common/contract.ts';
import { canonicalSubscriberId, validateSessionRequest } from '../validation.ts';

describe('subscriber id normalisation', () => {
  it.each([
    'imsi-001010000000042',
    'IMSI-001010000000042',
    '001010000000042',
    ' 00101 0000 000042 ',
    '00101-0000-000042',
    'imsi001010000000042',
  ])('%s is imsi-001010000000042', (raw) => {
    expect(canonicalSubscriberId(raw)).toBe('imsi-001010000000042');
  });

  it.each([
    '',
    'imsi-',
    '0010100000000',
    '0010100000000421',
    'imsi-00101000000004x',
    '00101--0000-000042',
    '1'.repeat(41),
  ])('%s is refused', (raw) => {
    expect(canonicalSubscriberId(raw)).toBeUndefined();
  });
});

describe('session request validation', () => {
  it('normalises aliases case-insensitively', () => {
    const v = validateSessionRequest({
      subscriberId: '001010000000001',
      trafficClass: 'VoIP',
      protocol: 'Three-Phase',
      cells: ['CELL-7', 9],
    });
    expect(v).toEqual({
      ok: true,
      value: {
        subscriberId: 'imsi-001010000000001',
        trafficClass: 'voice',
        protocol: '3pc',
        cells: ['cell-7', 'cell-9'],
      },
    });
  });

  it('names each bad field, unknown fields included', () => {
    const v = validateSessionRequest({
      subscriberId: 'x',
      trafficClass: 'fax',
      protocol: '4pc',
      cells: ['cell-1', 'cell-1'],
      admin: true,
    });
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.errors.map((e) => e.field).sort()).toEqual([
      'admin',
      'cells[1]',
      'protocol',
      'subscriberId',
      'trafficClass',
    ]);
  });

  it('refuses non-objects and oversized lists', () => {
    for (const body of [null, 'x', 42, [], undefined]) expect(validateSessionRequest(body).ok).toBe(false);
    const many = Array.from({ length: cellsPerRequestMax + 1 }, (_, i) => `cell-${i + 1}`);
    const v = validateSessionRequest({
      subscriberId: '001010000000001',
      trafficClass: 'data',
      protocol: '2pc',
      cells: many,
    });
    expect(v.ok ? [] : v.errors.map((e) => e.field)).toEqual(['cells']);
  });

  it('never throws, and whatever it accepts is canonical', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record(
            {
              subscriberId: fc.oneof(fc.string(), fc.stringMatching(/^(imsi-)?\d{15}$/)),
              trafficClass: fc.oneof(fc.string(), fc.constantFrom('voice', 'VIDEO', 'Data', 'voip')),
              protocol: fc.oneof(fc.string(), fc.constantFrom('2pc', '3PC', 'two-phase')),
              cells: fc.option(fc.array(fc.oneof(fc.string(), fc.integer(), fc.constantFrom('cell-1', 'cell-2'))), {
                nil: undefined,
              }),
            },
            { requiredKeys: [] },
          ),
        ),
        (body) => {
          const v = validateSessionRequest(body);
          if (v.ok) {
            expect(v.value.subscriberId).toMatch(/^imsi-\d{15}$/);
            expect(['voice', 'video', 'data']).toContain(v.value.trafficClass);
            expect(['2pc', '3pc']).toContain(v.value.protocol);
            for (const c of v.value.cells ?? []) expect(c).toMatch(/^cell-[1-9]\d{0,5}$/);
          } else {
            expect(v.errors.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
