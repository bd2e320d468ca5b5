// Copies every tile and the metadata of one archive into another of any format, streaming: the reader yields
// tiles one at a time and the writers keep only their index in memory.
import { resolve } from 'node:path';
import { InputError } from '../errors.js';
import { createArchive, isArchiveUrl, openArchive, openRemoteArchive } from './open.js';

export interface ConvertSummary {
  tiles: number;
  uniqueTiles: number;
  format: string;
}

export async function convertArchive(input: string, output: string, onTile?: (tiles: number) => void): Promise<ConvertSummary> {
  if (!isArchiveUrl(input) && resolve(input) === resolve(output)) throw new InputError(output, 'the output is the input');
  const reader = isArchiveUrl(input) ? await openRemoteArchive(input) : openArchive(input);
  try {
    const writer = createArchive(output);
    try {
      writer.setMetadata(reader.metadata);
      for await (const tile of reader.tiles()) {
        writer.putTile(tile.z, tile.x, tile.y, tile.data);
        onTile?.(writer.tilesWritten);
      }
      const summary = { tiles: writer.tilesWritten, uniqueTiles: writer.uniqueTiles, format: reader.metadata.format };
      writer.finish();
      return summary;
    } catch (error) {
      writer.abort();
      throw error;
    }
  } finally {
    reader.close();
  }
}
