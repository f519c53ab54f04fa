// Proves the three layers read one contract: the gateway, the session manager and a participant each accept
// `cellsPerRequestMax` cells and refuse one more, with the error each has always given; and whatever the gateway
// accepts, the session manager accepts, and the prepare it sends on passes the participant's check (fast-check).
// A limit or format changed at one layer only fails here.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cellsPerRequestMax } from '../common/contract.ts';
import { validateSessionRequest } from '../edge-gateway/validation.ts';
import { parsePrepare } from '../participant/contract.ts';
import { prepareBody } from '../session-manager/participants.ts';
import { parseInternalRequest } from '../session-manager/routes.ts';

const cells = (n: number) => Array.from({ length: n }, (_, i) => `cell-${i + 1}`);
const request = { subscriberId: 'imsi-001010000000001', trafficClass: 'voice', protocol: '3pc' };
const defaults = { cells: 1000 };
const prepare = (n: number) => ({
  token: 1,
  sessionId: 'ses-1',
  protocol: '3pc',
  subscriberId: request.subscriberId,
  kind: 'create',
  cells: cells(n),
  amount: 5,
});

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

describe('cells per request, at every layer', () => {
  it('the gateway accepts the limit and names cells when given one more', () => {
    expect(validateSessionRequest({ ...request, cells: cells(cellsPerRequestMax) }).ok).toBe(true);
    expect(validateSessionRequest({ ...request, cells: cells(cellsPerRequestMax + 1) })).toEqual({
      ok: false,
      errors: [{ field: 'cells', message: `must be a list of 1 to ${cellsPerRequestMax} cell ids` }],
    });
  });

  it('the session manager accepts the limit and refuses one more with a 400', () => {
    expect(parseInternalRequest({ ...request, cells: cells(cellsPerRequestMax) }, defaults).cells).toHaveLength(
      cellsPerRequestMax,
    );
    expect(
      thrown(() => parseInternalRequest({ ...request, cells: cells(cellsPerRequestMax + 1) }, defaults)),
    ).toMatchObject({
      code: 'bad_request',
      status: 400,
      message: 'invalid cells',
      details: { field: 'cells' },
    });
  });

  it('a participant accepts the limit and refuses one more with a 400 naming the field', () => {
    expect(parsePrepare(prepare(cellsPerRequestMax)).cells).toHaveLength(cellsPerRequestMax);
    expect(thrown(() => parsePrepare(prepare(cellsPerRequestMax + 1)))).toMatchObject({
      code: 'bad_request',
      status: 400,
      details: { fields: [`cells: must be a list of at most ${cellsPerRequestMax} cell ids`] },
    });
  });
});

describe('what one layer lets through, the next accepts', () => {
  it('gateway, then session manager, then participant', () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            subscriberId: fc.stringMatching(/^(imsi-)?\d{15}$/),
            trafficClass: fc.constantFrom('voice', 'VIDEO', 'data', 'voip', 'background'),
            protocol: fc.constantFrom('2pc', '3PC', 'two-phase', 'three-phase'),
            cells: fc.array(fc.oneof(fc.integer({ min: 1, max: 999_999 }), fc.stringMatching(/^cell-\d{1,6}$/)), {
              maxLength: cellsPerRequestMax + 1,
            }),
          },
          { requiredKeys: ['subscriberId', 'trafficClass', 'protocol'] },
        ),
        (body) => {
          const v = validateSessionRequest(body);
          if (!v.ok) return;
          const internal = parseInternalRequest(JSON.parse(JSON.stringify(v.value)), defaults);
          expect(internal).toMatchObject({ ...v.value, cells: v.value.cells ?? [expect.stringMatching(/^cell-/)] });
          expect(parsePrepare(prepareBody(7, 'ses-00000000-0000-0000-0000-000000000000', internal))).toBeTruthy();
        },
      ),
      { numRuns: 1000 },
    );
  });
});
