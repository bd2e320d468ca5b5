// Cuts each feature object out of a GeoJSON FeatureCollection fed in byte chunks, so a file is never parsed whole.
// It tracks only container depth and string/escape state over the bytes; every structural character in JSON is
// ASCII, so scanning UTF-8 bytes is exact and multi-byte characters never need decoding here.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const enum Mode {
  /** Before the `features` array: the top-level members are kept to read `type` and `crs`. */
  Header,
  /** Inside the `features` array. */
  Features,
  /** After the array closed. */
  Trailer,
}

export class FeatureArrayScanner {
  private mode = Mode.Header;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private headerParts: Buffer[] = [];
  /** Chunks (or their tails) of a feature that started in an earlier chunk. */
  private featureParts: Buffer[] = [];
  private inFeature = false;
  /** Top-level members that precede `features`, parsed when the array opens (undefined until then). */
  header: Record<string, unknown> | undefined;
  /** Features started so far (the one being cut included). */
  featuresStarted = 0;

  get foundFeatures(): boolean {
    return this.mode !== Mode.Header;
  }

  get arrayClosed(): boolean {
    return this.mode === Mode.Trailer;
  }

  /** True when the input ended inside a feature: that feature is truncated. */
  get insideFeature(): boolean {
    return this.inFeature;
  }

  /** Feeds one chunk; calls `emit` with the bytes of every feature object completed in it, in order. */
  push(chunk: Buffer, emit: (feature: Buffer) => void): void {
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    let featureStart = this.inFeature ? 0 : -1;
    const length = chunk.length;
    for (let i = 0; i < length; i++) {
      const byte = chunk[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (byte === BACKSLASH) escaped = true;
        else if (byte === QUOTE) inString = false;
        continue;
      }
      // Digits, commas, colons, whitespace, signs and dots are most of a file and change nothing.
      if (byte < OPEN_BRACKET && byte !== QUOTE) continue;
      if (byte === QUOTE) {
        inString = true;
      } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        if (this.mode === Mode.Features) {
          if (depth === 2 && byte === OPEN_BRACE) {
            featureStart = i;
            this.inFeature = true;
            this.featuresStarted++;
          }
        } else if (this.mode === Mode.Header && depth === 1 && byte === OPEN_BRACKET && this.opensFeatures(chunk, i)) {
          this.mode = Mode.Features;
        }
        depth++;
      } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        depth--;
        if (this.mode === Mode.Features) {
          if (depth === 2 && this.inFeature) {
            emit(this.cut(chunk, featureStart, i + 1));
            this.inFeature = false;
            featureStart = -1;
          } else if (depth === 1) {
            this.mode = Mode.Trailer;
          }
        }
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    if (this.mode === Mode.Header) this.headerParts.push(chunk);
    else if (this.inFeature) this.featureParts.push(featureStart === 0 ? chunk : chunk.subarray(featureStart));
  }

  /** The whole input, when no `features` array was found: a single Feature or Geometry document. */
  wholeDocument(): Buffer {
    return Buffer.concat(this.headerParts);
  }

  private cut(chunk: Buffer, start: number, end: number): Buffer {
    if (this.featureParts.length === 0) return chunk.subarray(start, end);
    const parts = this.featureParts;
    parts.push(chunk.subarray(0, end));
    this.featureParts = [];
    return Buffer.concat(parts);
  }

  /** At a `[` at depth 1: is it the value of the `features` member? If so, parse the members before it. */
  private opensFeatures(chunk: Buffer, index: number): boolean {
    const before = Buffer.concat([...this.headerParts, chunk.subarray(0, index)]).toString('utf8');
    const key = /,?\s*"features"\s*:\s*$/.exec(before);
    if (!key) return false;
    this.headerParts = [];
    try {
      const members = JSON.parse(stripBom(before.slice(0, key.index)) + '}') as unknown;
      this.header = members !== null && typeof members === 'object' ? (members as Record<string, unknown>) : {};
    } catch {
      this.header = {};
    }
    return true;
  }
}

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
