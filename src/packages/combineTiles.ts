// One tile from the tiles several archives hold at the same z/x/y: vector layers combined, raster the first archive's.
//
// Vector tiles are joined at the protobuf level, without decoding geometry: a layer only one tile has is copied as
// its raw message (MVT allows any layers side by side as long as names differ); layers of the same name become one
// layer whose key and value tables are the union of theirs, each feature's tags renumbered and its geometry copied.
import { gunzipSync, gzipSync } from 'node:zlib';
import { PbfReader, PbfWriter } from 'pbf';
import { InputError } from '../errors.js';
import { isGzip, type TileFormat } from '../archive/types.js';

/** A tile from one source, with a name for errors (`archive z/x/y`). */
export interface SourceTile {
  data: Buffer;
  source: string;
}

interface RawLayer {
  name: string;
  version: number;
  extent: number;
  keys: string[];
  /** Value messages as stored: equal bytes mean equal values, so the union needs no decoding. */
  values: Uint8Array[];
  features: Uint8Array[];
  /** The layer message as stored. */
  raw: Uint8Array;
}

const DEFAULT_EXTENT = 4096;

function readLayer(raw: Uint8Array): RawLayer {
  const layer: RawLayer = { name: '', version: 1, extent: DEFAULT_EXTENT, keys: [], values: [], features: [], raw };
  new PbfReader(raw).readFields((tag, target, pbf) => {
    if (tag === 1) target.name = pbf.readString();
    else if (tag === 2) target.features.push(pbf.readBytes());
    else if (tag === 3) target.keys.push(pbf.readString());
    else if (tag === 4) target.values.push(pbf.readBytes());
    else if (tag === 5) target.extent = pbf.readVarint();
    else if (tag === 15) target.version = pbf.readVarint();
  }, layer);
  return layer;
}

/** The layer messages of a vector tile (field 3 of Tile), in order. */
function readLayers(mvt: Uint8Array): Uint8Array[] {
  const layers: Uint8Array[] = [];
  new PbfReader(mvt).readFields((tag, target, pbf) => {
    if (tag === 3) target.push(pbf.readBytes());
  }, layers);
  return layers;
}

interface RawFeature {
  id?: number;
  tags: number[];
  type: number;
  geometry?: Uint8Array;
}

function readFeature(raw: Uint8Array): RawFeature {
  const feature: RawFeature = { tags: [], type: 0 };
  new PbfReader(raw).readFields((tag, target, pbf) => {
    if (tag === 1) target.id = pbf.readVarint();
    else if (tag === 2) pbf.readPackedVarint(target.tags);
    else if (tag === 3) target.type = pbf.readVarint();
    else if (tag === 4) target.geometry = pbf.readBytes();
  }, feature);
  return feature;
}

/** Several same-name layers as one: keys and values unioned, tags renumbered, geometry bytes copied as they are. */
function joinLayers(layers: RawLayer[], where: string): Uint8Array {
  const { name, extent } = layers[0];
  const other = layers.find((layer) => layer.extent !== extent);
  if (other) throw new InputError(where, `layer "${name}" has extent ${extent} in one archive and ${other.extent} in another; tiles of different extents cannot be combined`);
  const keys = new Map<string, number>();
  const values = new Map<string, number>();
  const valueBytes: Uint8Array[] = [];
  const features: RawFeature[] = [];
  for (const layer of layers) {
    const keyIndex = layer.keys.map((key) => {
      let index = keys.get(key);
      if (index === undefined) keys.set(key, (index = keys.size));
      return index;
    });
    const valueIndex = layer.values.map((value) => {
      const text = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');
      let index = values.get(text);
      if (index === undefined) {
        values.set(text, (index = valueBytes.length));
        valueBytes.push(value);
      }
      return index;
    });
    for (const raw of layer.features) {
      const feature = readFeature(raw);
      feature.tags = feature.tags.map((tag, i) => (i % 2 === 0 ? keyIndex[tag] : valueIndex[tag]));
      if (feature.tags.some((tag) => tag === undefined)) throw new InputError(where, `layer "${name}" has a feature whose tags point past its key or value table`);
      features.push(feature);
    }
  }
  const pbf = new PbfWriter();
  pbf.writeVarintField(15, Math.max(...layers.map((layer) => layer.version)));
  pbf.writeStringField(1, name);
  for (const feature of features) {
    pbf.writeMessage(2, (item: RawFeature, out) => {
      if (item.id !== undefined) out.writeVarintField(1, item.id);
      out.writePackedVarint(2, item.tags);
      out.writeVarintField(3, item.type);
      if (item.geometry) out.writeBytesField(4, item.geometry);
    }, feature);
  }
  for (const key of keys.keys()) pbf.writeStringField(3, key);
  for (const value of valueBytes) pbf.writeBytesField(4, value);
  pbf.writeVarintField(5, extent);
  return pbf.finish();
}

/** Vector tiles of one z/x/y as one: stored gzipped when the first was. */
export function combineVectorTiles(tiles: SourceTile[], where: string): Buffer {
  const byName = new Map<string, RawLayer[]>();
  for (const tile of tiles) {
    let mvt: Uint8Array;
    try {
      mvt = isGzip(tile.data) ? gunzipSync(tile.data) : tile.data;
    } catch (error) {
      throw new InputError(`${tile.source} ${where}`, `not a readable gzipped vector tile: ${(error as Error).message}`);
    }
    for (const raw of readLayers(mvt)) {
      const layer = readLayer(raw);
      const list = byName.get(layer.name);
      if (list) list.push(layer);
      else byName.set(layer.name, [layer]);
    }
  }
  const pbf = new PbfWriter();
  for (const layers of byName.values()) pbf.writeBytesField(3, layers.length === 1 ? layers[0].raw : joinLayers(layers, where));
  const combined = Buffer.from(pbf.finish());
  return isGzip(tiles[0].data) ? gzipSync(combined) : combined;
}

/**
 * The tile to store for one z/x/y that `tiles` (in source order) hold. Vector: layers combined. Raster: the first
 * source's tile, unchanged; images are not blended, so the archive listed first wins where sources overlap.
 */
export function combineTiles(format: TileFormat, tiles: SourceTile[], where: string): Buffer {
  if (tiles.length === 1 || format !== 'pbf') return tiles[0].data;
  return combineVectorTiles(tiles, where);
}
