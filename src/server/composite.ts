// `/tiles/a,b/{z}/{x}/{y}.pbf`: several vector tilesets (live tables, functions, archives) answered as one tile, as
// Martin's composite sources are. Layers are joined at the protobuf level (src/packages/combineTiles.ts).
import { createHash } from 'node:crypto';
import type { ArchiveMetadata, ArchiveTile, MaybePromise, StoredTile, TileArchiveReader } from '../archive/types.js';
import { combineVectorTiles } from '../packages/combineTiles.js';

/** A composite of more parts than this is refused (each part is a lookup per tile). */
export const MAX_COMPOSITE_PARTS = 16;

export interface CompositePart {
  id: string;
  archive: TileArchiveReader;
  metadata: ArchiveMetadata;
}

export class CompositeReader implements TileArchiveReader {
  readonly path: string;
  readonly metadata: ArchiveMetadata;
  readonly warnings: readonly string[] = [];

  constructor(
    id: string,
    private readonly parts: readonly CompositePart[],
  ) {
    this.path = parts.map((part) => part.archive.path).join(',');
    const bounds = parts.map((part) => part.metadata.bounds);
    this.metadata = {
      name: id,
      format: 'pbf',
      minzoom: Math.min(...parts.map((part) => part.metadata.minzoom)),
      maxzoom: Math.max(...parts.map((part) => part.metadata.maxzoom)),
      bounds: bounds.every((b) => b !== undefined)
        ? [Math.min(...bounds.map((b) => b[0])), Math.min(...bounds.map((b) => b[1])), Math.max(...bounds.map((b) => b[2])), Math.max(...bounds.map((b) => b[3]))]
        : undefined,
      vector_layers: parts.flatMap((part) => part.metadata.vector_layers ?? []),
      attribution: [...new Set(parts.map((part) => part.metadata.attribution).filter(Boolean))].join(' ') || undefined,
    };
  }

  getTile(z: number, x: number, y: number, query?: string): MaybePromise<StoredTile | undefined> {
    const tiles = this.parts.map((part) => (z >= part.metadata.minzoom && z <= part.metadata.maxzoom ? part.archive.getTile(z, x, y, query) : undefined));
    // Only when a part answers later is there anything to await.
    if (tiles.some((tile) => tile instanceof Promise)) return Promise.all(tiles).then((found) => this.combine(found, z, x, y));
    return this.combine(tiles as (StoredTile | undefined)[], z, x, y);
  }

  private combine(tiles: (StoredTile | undefined)[], z: number, x: number, y: number): StoredTile | undefined {
    const found = tiles.flatMap((tile, i) => (tile ? [{ data: tile.data, source: this.parts[i].id, tile }] : []));
    if (found.length === 0) return undefined;
    if (found.length === 1) return found[0].tile;
    const data = combineVectorTiles(found, `${z}/${x}/${y}`);
    return { data, hash: createHash('sha1').update(data).digest('hex'), gzipped: found[0].tile.gzipped };
  }

  summarize() {
    return [];
  }

  tiles(): ArchiveTile[] {
    return [];
  }

  close(): void {
    // The parts belong to their own tilesets.
  }
}
