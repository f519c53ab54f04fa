// The page shell shared by a run's report and the store index: one HTML file with its CSS, data and script inline.
// A Content-Security-Policy allowing nothing but inline script and style (and data: images) makes "no network
// requests" a property of the file, not only of our code.
import { readFileSync } from 'node:fs';

const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

/** Escapes text for HTML content and attribute values. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A tagged template that escapes every interpolation unless it is `raw(...)`. */
export class Raw {
  constructor(readonly html: string) {}
}
export const raw = (html: string) => new Raw(html);
export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += fragment(v) + strings[i + 1]!;
  });
  return new Raw(out);
}
function fragment(v: unknown): string {
  if (v instanceof Raw) return v.html;
  if (Array.isArray(v)) return v.map(fragment).join('');
  if (v === undefined || v === null || v === false) return '';
  return esc(v);
}

/** Milliseconds for people: "0.84 ms", "12.3 ms", "1,204 ms", "—" for none. */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms).toLocaleString('en-US')} ms`;
}

/** A duration for people: "850 ms", "42.0 s", "12 min 5 s". */
export function fmtDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * JSON for a `<script type="application/json">` element. Typed arrays become `{"$t": "Float64Array", "b64": ...}`
 * (little-endian bytes, as every browser reads them), which is what makes 100,000 ops a few MB instead of tens.
 * `<` is escaped so no string in the data can close the element.
 */
export function embedJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      const bytes = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      return { $t: v.constructor.name, b64: bytes.toString('base64') };
    }
    // JSON has no NaN: the pre-aggregated series use null for "no value" and the page reads it back as NaN.
    if (typeof v === 'number' && !Number.isFinite(v)) return null;
    return v;
  });
  return text.replace(/</g, '\\u003c');
}

/** Reads a file that sits beside this module (CSS, browser scripts), for inlining. */
export function asset(name: string): string {
  return readFileSync(new URL(name, import.meta.url), 'utf8');
}

export interface PageParts {
  title: string;
  body: Raw;
  data: unknown;
  css: string;
  script: string;
}

export function page(p: PageParts): string {
  // The script is inline text: "</script" inside it would end the element early, so it is split where it appears.
  const script = p.script.replace(/<\/script/gi, '<\\/script');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>${esc(p.title)}</title>
<style>
${p.css}
</style>
</head>
<body>
${p.body.html}
<script type="application/json" id="report-data">${embedJson(p.data)}</script>
<script>
${script}
</script>
</body>
</html>
`;
}
