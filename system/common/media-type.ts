// The media type of a request's body (RFC 9110 section 8.3), as a route that takes JSON accepts it. Pure: the
// dispatcher (dispatch.ts) asks it before it reads or parses a body, and answers 415 when it refuses.
//
// Accepted: `application/json`, in any case (type, subtype and parameter names are case-insensitive, section
// 8.3.1), with any parameters; a `charset` parameter must name UTF-8, the only encoding JSON has between systems
// (RFC 8259 section 8.1): a client that says its body is in another one is told so instead of having it misread.
// Refused: `application/*+json` (RFC 6839). A structured syntax suffix says the body is JSON text, but the type
// before it says what that text means, and the ones a client would send us mean something else than our bodies:
// `application/merge-patch+json` (RFC 7396) deletes a field with null, `application/json-patch+json` (RFC 6902) is a
// list of operations. Taking them as plain JSON would act on a reading the client did not ask for.

/** The one media type a JSON body is accepted as. */
export const jsonMediaType = 'application/json';

/** `type/subtype` and its parameters, names lowercased, values unquoted. */
export interface MediaType {
  essence: string;
  params: Map<string, string>;
}

const token = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;

/** A Content-Type value (section 8.3.1); undefined when it is not `type/subtype *( ; name=value )`. */
export function parseMediaType(value: string): MediaType | undefined {
  const [head = '', ...rest] = value.split(';');
  const essence = head.trim().toLowerCase();
  const [type, subtype, extra] = essence.split('/');
  if (extra !== undefined || !type || !subtype || !token.test(type) || !token.test(subtype)) return undefined;
  const params = new Map<string, string>();
  for (const part of rest) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const name = part.slice(0, Math.max(eq, 0)).trim().toLowerCase();
    if (eq < 0 || !token.test(name)) return undefined;
    const raw = part.slice(eq + 1).trim();
    params.set(name, /^".*"$/.test(raw) ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw);
  }
  return { essence, params };
}

/**
 * Why a body with this Content-Type cannot be taken as JSON, in words that end the client's message; undefined when
 * it can. `header` undefined: the request names no type (refuse it only when it has a body: the caller's call).
 */
export function jsonContentTypeProblem(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return 'the request has a body but no Content-Type';
  if (typeof header !== 'string') return 'the request has more than one Content-Type';
  const media = parseMediaType(header);
  if (!media) return `the Content-Type ${JSON.stringify(header)} is not a media type`;
  if (media.essence !== jsonMediaType) {
    const suffixed = /^application\/[^/]*\+json$/.test(media.essence)
      ? ' (a +json type means more than plain JSON, and this API takes plain JSON only)'
      : '';
    return `the body is ${media.essence}${suffixed}`;
  }
  const charset = media.params.get('charset');
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8') {
    return `the body is in charset ${charset}, and JSON is UTF-8`;
  }
  return undefined;
}
