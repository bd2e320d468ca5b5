// Builds the JSON documents of OGC API – Tiles 1.0 (landing page, conformance, tile matrix sets, collections, tilesets).
import type { ArchiveMetadata } from '../../archive/types.js';
import { FORMAT_CONTENT_TYPES } from '../../archive/types.js';
import {
  gridExtent,
  gridLimits,
  isWebMercator,
  tileGrid,
  tileMatrixSetLimits,
  TILE_GRIDS,
  WEB_MERCATOR_QUAD_ID,
  type TileGrid,
  type TileMatrixLimits,
  type TileMatrixSet,
} from '../../grid/tileMatrixSets.js';
import type { BBox } from '../../grid/webMercator.js';
import { withToken } from '../access.js';

export interface OgcTileset {
  id: string;
  metadata: ArchiveMetadata;
  /** A live table's reader offers `features` too: it is then also an OGC API – Features collection. */
  archive?: { readonly features?: unknown };
  /** A private tileset's links carry the request's token (see ../access.ts), so that clients following them are let in. */
  private?: boolean;
}

export interface Link {
  href: string;
  rel: string;
  type?: string;
  title?: string;
  templated?: boolean;
}

const REL = 'http://www.opengis.net/def/rel/ogc/1.0/';
const JSON_TYPE = 'application/json';
const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';

export const CONFORMANCE_CLASSES = [
  'http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/landing-page',
  'http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/json',
  'http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections',
  'http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset',
  'http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list',
  'http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets',
  'http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/collections-selection',
  'http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/jpeg',
  'http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/png',
  'http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt',
  'http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset',
  'http://www.opengis.net/spec/tms/2.0/conf/tilematrixset',
  // OGC API – Features Part 1, for the live (PostGIS) collections' /items.
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
] as const;

export type DataType = 'vector' | 'map';

/** The tile matrix set a tileset is cut on (archives that do not say are WebMercatorQuad). */
export function tileMatrixSetOf(tileset: OgcTileset): string {
  return tileset.metadata.tileMatrixSet ?? WEB_MERCATOR_QUAD_ID;
}

function gridOf(tileset: OgcTileset): TileGrid {
  return tileGrid(tileMatrixSetOf(tileset)) ?? TILE_GRIDS[WEB_MERCATOR_QUAD_ID];
}

/** TileMatrixSetLimits of a tileset in its own grid. */
function limitsOf(tileset: OgcTileset): TileMatrixLimits[] {
  const grid = gridOf(tileset);
  const { minzoom, maxzoom, crsBounds } = tileset.metadata;
  return isWebMercator(grid) ? tileMatrixSetLimits(minzoom, maxzoom, boundsOf(tileset)) : gridLimits(grid, minzoom, maxzoom, crsBounds ?? gridExtent(grid));
}

export function dataTypeOf(tileset: OgcTileset): DataType {
  return tileset.metadata.format === 'pbf' ? 'vector' : 'map';
}

/** Path under /ogc/collections/{id} where the tilesets of this data type live (`tiles` or `map/tiles`). */
export function tilesPathOf(tileset: OgcTileset): string {
  return dataTypeOf(tileset) === 'vector' ? 'tiles' : 'map/tiles';
}

function collectionUrl(base: string, tileset: OgcTileset): string {
  return `${base}/ogc/collections/${encodeURIComponent(tileset.id)}`;
}

/** A link to one of the tileset's own resources. */
function tilesetLink(tileset: OgcTileset, link: Link): Link {
  return tileset.private ? { ...link, href: withToken(link.href) } : link;
}

function boundsOf(tileset: OgcTileset): BBox {
  return tileset.metadata.bounds ?? [-180, -85.0511287798066, 180, 85.0511287798066];
}

export function landingPage(base: string, title = 'Mekan basemap'): object {
  return {
    title,
    description: 'Vector and raster tiles of the national basemap, OGC API – Tiles',
    links: [
      { href: `${base}/ogc`, rel: 'self', type: JSON_TYPE, title: 'This document' },
      { href: `${base}/ogc/conformance`, rel: 'conformance', type: JSON_TYPE, title: 'Conformance classes' },
      { href: `${base}/ogc/conformance`, rel: `${REL}conformance`, type: JSON_TYPE, title: 'Conformance classes' },
      { href: `${base}/ogc/tileMatrixSets`, rel: `${REL}tiling-schemes`, type: JSON_TYPE, title: 'Tile matrix sets' },
      { href: `${base}/ogc/collections`, rel: 'data', type: JSON_TYPE, title: 'Collections' },
      { href: `${base}/ogc/collections`, rel: `${REL}data`, type: JSON_TYPE, title: 'Collections' },
      { href: `${base}/ogc/api`, rel: 'service-desc', type: 'application/vnd.oai.openapi+json;version=3.0', title: 'API definition' },
      { href: `${base}/`, rel: 'alternate', type: 'text/html', title: 'Map viewer' },
    ] satisfies Link[],
  };
}

/**
 * A minimal OpenAPI 3.0 definition: the paths and the item page limits. Clients such as GDAL's OAPIF driver
 * read it for the largest `limit` they may ask for.
 */
export function apiDefinition(base: string, maxLimit: number, defaultLimit: number): object {
  const json = { description: 'JSON', content: { 'application/json': {} } };
  const limit = { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: maxLimit, default: defaultLimit } };
  return {
    openapi: '3.0.3',
    info: { title: 'Mekan OGC API', version: '1.0.0' },
    servers: [{ url: `${base}/ogc` }],
    paths: {
      '/': { get: { responses: { 200: json } } },
      '/conformance': { get: { responses: { 200: json } } },
      '/collections': { get: { responses: { 200: json } } },
      '/collections/{collectionId}/items': {
        get: {
          parameters: [{ name: 'collectionId', in: 'path', required: true, schema: { type: 'string' } }, limit],
          responses: { 200: { description: 'GeoJSON features', content: { 'application/geo+json': {} } } },
        },
      },
    },
  };
}

export function conformance(): object {
  return { conformsTo: [...CONFORMANCE_CLASSES] };
}

export function tileMatrixSetList(base: string): object {
  return {
    tileMatrixSets: Object.values(TILE_GRIDS).map((grid) => {
      const tms = grid.definition();
      return {
        id: tms.id,
        title: tms.title,
        uri: tms.uri,
        crs: tms.crs,
        links: [{ href: `${base}/ogc/tileMatrixSets/${tms.id}`, rel: 'self', type: JSON_TYPE, title: tms.title }],
      };
    }),
  };
}

/**
 * The tile matrix set in the OGC 17-083r4 (TMS 2.0) JSON encoding, with the members of the 1.0 encoding
 * (17-083r2: `identifier`, `supportedCRS`, `boundingBox`, `topLeftCorner`) beside them: clients written
 * against 1.0, such as GDAL up to 3.6, read only those, and 2.0 clients ignore them.
 */
export function tileMatrixSetDocument(id: string): (TileMatrixSet & Record<string, unknown>) | undefined {
  const grid = tileGrid(id);
  if (!grid) return undefined;
  const tms = grid.definition();
  const [minX, minY, maxX, maxY] = gridExtent(grid);
  return {
    type: 'TileMatrixSetType',
    ...tms,
    identifier: tms.id,
    supportedCRS: tms.crs,
    boundingBox: { type: 'BoundingBoxType', crs: tms.crs, lowerCorner: [minX, minY], upperCorner: [maxX, maxY] },
    tileMatrices: tms.tileMatrices.map((m) => ({ type: 'TileMatrixType', ...m, identifier: m.id, topLeftCorner: m.pointOfOrigin })),
  };
}

export function collection(base: string, tileset: OgcTileset): object {
  const { metadata } = tileset;
  const url = collectionUrl(base, tileset);
  const vector = dataTypeOf(tileset) === 'vector';
  const links: Link[] = [
    { href: url, rel: 'self', type: JSON_TYPE, title: 'This collection' },
    { href: `${url}/${tilesPathOf(tileset)}`, rel: `${REL}tilesets-${vector ? 'vector' : 'map'}`, type: JSON_TYPE, title: `${vector ? 'Vector' : 'Map'} tilesets` },
    { href: `${base}/tiles/${encodeURIComponent(tileset.id)}.json`, rel: 'describedby', type: JSON_TYPE, title: 'TileJSON' },
  ].map((link) => tilesetLink(tileset, link));
  const items = tileset.archive?.features !== undefined;
  if (items) links.push(tilesetLink(tileset, { href: `${url}/items`, rel: 'items', type: 'application/geo+json', title: 'Features' }));
  const doc: Record<string, unknown> = {
    id: tileset.id,
    title: metadata.name || tileset.id,
    description: metadata.description ?? '',
    extent: { spatial: { bbox: [boundsOf(tileset)], crs: CRS84 } },
    dataType: vector ? 'vector' : 'map',
    // The features of a live collection are served in WGS 84; tiles keep their tile matrix set's CRS.
    crs: [items ? CRS84 : gridOf(tileset).definition().crs],
    storageCrs: items ? CRS84 : gridOf(tileset).definition().crs,
    links,
  };
  // Vector tiles carry features; a map tileset has no items to speak of.
  if (vector) doc.itemType = 'feature';
  if (metadata.attribution) doc.attribution = metadata.attribution;
  return doc;
}

export function collections(base: string, tilesets: readonly OgcTileset[]): object {
  return {
    links: [{ href: `${base}/ogc/collections`, rel: 'self', type: JSON_TYPE, title: 'This document' }],
    collections: tilesets.map((t) => collection(base, t)),
  };
}

function tilesetUrl(base: string, tileset: OgcTileset): string {
  return `${collectionUrl(base, tileset)}/${tilesPathOf(tileset)}/${tileMatrixSetOf(tileset)}`;
}

/** `/collections/{id}/tiles` (or `/map/tiles`): the tilesets of a collection, one per tile matrix set. */
export function tilesetList(base: string, tileset: OgcTileset): object {
  const url = tilesetUrl(base, tileset);
  const tms = gridOf(tileset).definition();
  return {
    links: [tilesetLink(tileset, { href: `${collectionUrl(base, tileset)}/${tilesPathOf(tileset)}`, rel: 'self', type: JSON_TYPE })],
    tilesets: [
      {
        title: tileset.metadata.name || tileset.id,
        dataType: dataTypeOf(tileset),
        crs: tms.crs,
        tileMatrixSetURI: tms.uri,
        links: [
          tilesetLink(tileset, { href: url, rel: 'self', type: JSON_TYPE, title: 'Tileset metadata' }),
          { href: `${base}/ogc/tileMatrixSets/${tms.id}`, rel: `${REL}tiling-scheme`, type: JSON_TYPE, title: 'Tile matrix set' },
        ],
      },
    ],
  };
}

/** `/collections/{id}/tiles/WebMercatorQuad`: tileset metadata with its limits and the tile URI template. */
export function tilesetMetadata(base: string, tileset: OgcTileset): object {
  const { metadata } = tileset;
  const url = tilesetUrl(base, tileset);
  const contentType = FORMAT_CONTENT_TYPES[metadata.format];
  const tms = gridOf(tileset).definition();
  const doc: Record<string, unknown> = {
    title: metadata.name || tileset.id,
    description: metadata.description ?? '',
    dataType: dataTypeOf(tileset),
    crs: tms.crs,
    tileMatrixSetURI: tms.uri,
    tileMatrixSetLimits: limitsOf(tileset),
    boundingBox: { lowerLeft: boundsOf(tileset).slice(0, 2), upperRight: boundsOf(tileset).slice(2, 4), crs: CRS84 },
    minzoom: metadata.minzoom,
    maxzoom: metadata.maxzoom,
    links: [
      tilesetLink(tileset, { href: url, rel: 'self', type: JSON_TYPE, title: 'This tileset' }),
      { href: `${base}/ogc/tileMatrixSets/${tms.id}`, rel: `${REL}tiling-scheme`, type: JSON_TYPE, title: 'Tile matrix set' },
      tilesetLink(tileset, { href: collectionUrl(base, tileset), rel: `${REL}geodata`, type: JSON_TYPE, title: 'The collection' }),
      tilesetLink(tileset, { href: `${url}/{tileMatrix}/{tileRow}/{tileCol}`, rel: 'item', type: contentType, templated: true, title: 'Tiles' }),
    ] satisfies Link[],
  };
  if (metadata.center) doc.centerPoint = { coordinates: metadata.center.slice(0, 2), tileMatrix: String(metadata.center[2]), crs: CRS84 };
  if (metadata.vector_layers) {
    doc.layers = metadata.vector_layers.map((layer) => ({
      id: layer.id,
      dataType: 'vector',
      ...(layer.description ? { description: layer.description } : {}),
      ...(layer.minzoom !== undefined ? { minTileMatrix: String(layer.minzoom) } : {}),
      ...(layer.maxzoom !== undefined ? { maxTileMatrix: String(layer.maxzoom) } : {}),
      propertiesSchema: {
        type: 'object',
        properties: Object.fromEntries(
          Object.entries(layer.fields).map(([name, type]) => [name, { type: jsonSchemaType(type) }]),
        ),
      },
    }));
  }
  if (metadata.attribution) doc.attribution = metadata.attribution;
  return doc;
}

function jsonSchemaType(fieldType: string): string {
  switch (fieldType) {
    case 'Number':
      return 'number';
    case 'Boolean':
      return 'boolean';
    default:
      return 'string';
  }
}
