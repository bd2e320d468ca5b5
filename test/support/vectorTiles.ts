// Reads every tile of a vector MBTiles archive back through the real decoders (SQLite, gunzip, @mapbox/vector-tile).
import { gunzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import { flipRow } from '../../src/grid/webMercator.js';

export interface DecodedFeature {
  type: number;
  properties: Record<string, string | number | boolean>;
  /** Rings or parts as [x, y] pairs in tile units. */
  geometry: [number, number][][];
  /** The tile feature's id, when it has one. */
  id?: number;
}

export interface DecodedTile {
  z: number;
  x: number;
  y: number;
  /** Stored (gzipped) size. */
  bytes: number;
  layers: Record<string, DecodedFeature[]>;
}

export function decodeTile(z: number, x: number, y: number, stored: Buffer): DecodedTile {
  const tile = new VectorTile(new PbfReader(gunzipSync(stored)));
  const layers: Record<string, DecodedFeature[]> = {};
  for (const [name, layer] of Object.entries(tile.layers)) {
    const features: DecodedFeature[] = [];
    for (let i = 0; i < layer.length; i++) {
      const feature = layer.feature(i);
      features.push({
        type: feature.type,
        properties: feature.properties,
        geometry: feature.loadGeometry().map((ring) => ring.map((point) => [point.x, point.y] as [number, number])),
        ...(feature.id !== undefined ? { id: feature.id } : {}),
      });
    }
    layers[name] = features;
  }
  return { z, x, y, bytes: stored.length, layers };
}

/** Every tile of the archive (optionally of one zoom), decoded. */
export function readVectorTiles(path: string, zoom?: number): DecodedTile[] {
  const db = new Database(path, { readonly: true });
  try {
    const rows = (
      zoom === undefined
        ? db.prepare('SELECT zoom_level AS z, tile_column AS x, tile_row AS row, tile_data AS data FROM tiles').all()
        : db.prepare('SELECT zoom_level AS z, tile_column AS x, tile_row AS row, tile_data AS data FROM tiles WHERE zoom_level = ?').all(zoom)
    ) as { z: number; x: number; row: number; data: Buffer }[];
    return rows.map((row) => decodeTile(row.z, row.x, flipRow(row.z, row.row), row.data));
  } finally {
    db.close();
  }
}

/** Even-odd point-in-polygon over rings (outer and holes alike). */
export function insideRings(rings: [number, number][][], x: number, y: number): boolean {
  let inside = false;
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

/** Distance from a point to a polyline, in the polyline's units. */
export function distanceToLine(line: [number, number][], x: number, y: number): number {
  let best = Infinity;
  for (let i = 1; i < line.length; i++) {
    const [ax, ay] = line[i - 1];
    const [bx, by] = line[i];
    const dx = bx - ax;
    const dy = by - ay;
    const t = dx === 0 && dy === 0 ? 0 : Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
    best = Math.min(best, Math.hypot(ax + t * dx - x, ay + t * dy - y));
  }
  if (line.length === 1) best = Math.hypot(line[0][0] - x, line[0][1] - y);
  return best;
}
