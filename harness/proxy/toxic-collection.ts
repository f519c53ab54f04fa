// A proxy's toxics: the API's view (names, order, JSON) and the changes that every open link must apply at once.
import { toxicAlreadyExists, toxicNotFound } from './errors.ts';
import { applyToxicUpdate, completeToxic, readToxicHeader, type Stream, type ToxicSpec } from './toxic-spec.ts';

export type ToxicChange =
  | { kind: 'added'; spec: ToxicSpec }
  | { kind: 'updated'; spec: ToxicSpec }
  | { kind: 'removed'; spec: ToxicSpec };

export class ToxicCollection {
  // Insertion order within each direction is chain order: a new toxic goes at the end of its direction's chain.
  private specs: ToxicSpec[] = [];

  constructor(private readonly onChange: (change: ToxicChange) => void) {}

  /** Upstream toxics first, then downstream, each in chain order: the order Toxiproxy lists them in. */
  list(): ToxicSpec[] {
    return [...this.forStream('upstream'), ...this.forStream('downstream')];
  }

  forStream(stream: Stream): ToxicSpec[] {
    return this.specs.filter((s) => s.stream === stream);
  }

  get(name: string): ToxicSpec {
    const spec = this.specs.find((s) => s.name === name);
    if (!spec) throw toxicNotFound();
    return spec;
  }

  /** Creates a toxic from a request body; throws the API error and changes nothing when the body is refused. */
  addFromJson(text: string): ToxicSpec {
    const header = readToxicHeader(text);
    if (this.specs.some((s) => s.name === header.name)) throw toxicAlreadyExists();
    const spec = completeToxic(header);
    this.specs.push(spec);
    this.onChange({ kind: 'added', spec });
    return spec;
  }

  updateFromJson(name: string, text: string): ToxicSpec {
    const index = this.specs.findIndex((s) => s.name === name);
    const current = this.specs[index];
    if (!current) throw toxicNotFound();
    const spec = applyToxicUpdate(current, text);
    this.specs[index] = spec;
    this.onChange({ kind: 'updated', spec });
    return spec;
  }

  remove(name: string): void {
    const index = this.specs.findIndex((s) => s.name === name);
    const spec = this.specs[index];
    if (!spec) throw toxicNotFound();
    this.specs.splice(index, 1);
    this.onChange({ kind: 'removed', spec });
  }

  /** Removes every toxic (POST /reset). */
  clear(): void {
    for (const spec of [...this.specs]) this.remove(spec.name);
  }
}
