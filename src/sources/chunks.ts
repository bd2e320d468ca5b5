// Reads a file as a stream of byte chunks large enough to keep per-chunk overhead off the hot path.
import { createReadStream } from 'node:fs';

const CHUNK_BYTES = 1 << 20;

export async function* fileChunks(path: string): AsyncGenerator<Buffer> {
  const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } finally {
    stream.destroy();
  }
}
