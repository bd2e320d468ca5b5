// Decodes UTF-8 text from a file, telling wrongly encoded bytes apart from text that is merely non-ASCII.
import { isUtf8 } from 'node:buffer';

/** The text, or undefined when the bytes are not valid UTF-8 (a file written in another encoding). */
export function decodeUtf8(bytes: Buffer): string | undefined {
  const text = bytes.toString('utf8');
  // Decoding replaces bad bytes with U+FFFD; only then is the slower exact check worth doing.
  if (text.includes('\uFFFD') && !isUtf8(bytes)) return undefined;
  return text;
}

/** True when a decoded string carries the replacement character a lenient decoder leaves for bad bytes. */
export function hasReplacementCharacter(text: string): boolean {
  return text.includes('\uFFFD');
}
