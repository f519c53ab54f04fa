// Proves what a route that takes JSON accepts as its body's Content-Type (media-type.ts): application/json in any
// case, with any parameters and optional whitespace, a charset only if it is UTF-8 (quoted or not); and refuses, with
// words that say what was received, another type, a +json type, another charset, several values, no value and
// something that is not a media type at all.
import { describe, expect, it } from 'vitest';
import { jsonContentTypeProblem, parseMediaType } from '../media-type.ts';

describe('parseMediaType', () => {
  it('lowercases the type and the parameter names, and unquotes values', () => {
    const m = parseMediaType(' Application/JSON ; Charset="UTF-8"; q=a\\"b ');
    expect(m?.essence).toBe('application/json');
    expect(Object.fromEntries(m!.params)).toEqual({ charset: 'UTF-8', q: 'a\\"b' });
    expect(parseMediaType('application/json;')?.params.size).toBe(0);
  });

  it('is undefined for what is not type/subtype with name=value parameters', () => {
    for (const bad of ['', 'json', 'application/', '/json', 'a/b/c', 'text plain/x', 'application/json; charset']) {
      expect(parseMediaType(bad), bad).toBeUndefined();
    }
  });
});

describe('jsonContentTypeProblem', () => {
  it('accepts application/json, in any case, with parameters, and a UTF-8 charset however written', () => {
    for (const ok of [
      'application/json',
      'APPLICATION/JSON',
      'application/json; charset=utf-8',
      'application/json;charset="UTF-8"',
      'application/json ; version=2',
    ]) {
      expect(jsonContentTypeProblem(ok), ok).toBeUndefined();
    }
  });

  it('says what was wrong with anything else', () => {
    expect(jsonContentTypeProblem(undefined)).toBe('the request has a body but no Content-Type');
    expect(jsonContentTypeProblem(['application/json', 'text/plain'])).toMatch(/more than one Content-Type/);
    expect(jsonContentTypeProblem('text/plain; charset=utf-8')).toBe('the body is text/plain');
    expect(jsonContentTypeProblem('application/problem+json')).toMatch(
      /^the body is application\/problem\+json \(a \+json/,
    );
    expect(jsonContentTypeProblem('text/json')).toBe('the body is text/json');
    expect(jsonContentTypeProblem('application/json; charset=utf-16')).toMatch(/charset utf-16, and JSON is UTF-8/);
    expect(jsonContentTypeProblem('application json')).toMatch(/is not a media type/);
  });
});
