// Builds the WMTS 1.0.0 capabilities document (RESTful and KVP) for the served raster tilesets.
import type { ArchiveMetadata } from '../../archive/types.js';
import { FORMAT_CONTENT_TYPES } from '../../archive/types.js';
import {
  GOOGLE_MAPS_COMPATIBLE_ID,
  gridExtent,
  gridLimits,
  isWebMercator,
  tileGrid,
  tileMatrixSetLimits,
  TILE_GRIDS,
  WEB_MERCATOR_QUAD_ID,
  WEB_MERCATOR_QUAD_MAX_ZOOM,
  type TileGrid,
} from '../../grid/tileMatrixSets.js';
import type { BBox } from '../../grid/webMercator.js';
import { withToken } from '../access.js';
import { cachedXml } from '../documentCache.js';

/** What the capabilities need to know of a tileset: its public id and its archive metadata. */
export interface WmtsTileset {
  id: string;
  metadata: ArchiveMetadata;
  /** A private layer's URLs carry the request's token (see ../access.ts). */
  private?: boolean;
}

export interface WmtsServiceInfo {
  title?: string;
  abstract?: string;
}

/** WMTS clients draw pictures: vector tilesets are left to OGC API – Tiles and MapLibre. */
export function isWmtsLayer(tileset: WmtsTileset): boolean {
  return tileset.metadata.format !== 'pbf';
}

// Matching control characters is the point here: XML 1.0 cannot carry them.
// eslint-disable-next-line no-control-regex
const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!)
    // Characters XML 1.0 cannot carry at all are dropped rather than breaking the document.
    .replace(XML_FORBIDDEN, '');
}

/** A layer's one style. */
export const WMTS_STYLE = 'default';

/**
 * The tile URL a WMTS client fills in, in WMTS 1.0 §10.2.1's shape. It names the tile matrix set, so that a wrong one
 * is refused, and its errors are OWS exception reports (../wmts/routes.ts); the tiles are the tile route's.
 */
export function wmtsResourceTemplate(baseUrl: string, tileset: WmtsTileset): string {
  const ext = tileset.metadata.format;
  const template = `${baseUrl}/wmts/1.0.0/${encodeURIComponent(tileset.id)}/${WMTS_STYLE}/{TileMatrixSet}/{TileMatrix}/{TileRow}/{TileCol}.${ext}`;
  return tileset.private ? withToken(template) : template;
}

function formatNumber(n: number): string {
  // 17 significant digits round-trip every double; trim what adds nothing.
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(17)));
}

/** The grid a tileset is cut on (archives that do not say are WebMercatorQuad). */
export function gridOf(tileset: WmtsTileset): TileGrid {
  return tileGrid(tileset.metadata.tileMatrixSet ?? WEB_MERCATOR_QUAD_ID) ?? TILE_GRIDS[WEB_MERCATOR_QUAD_ID];
}

function layerXml(baseUrl: string, tileset: WmtsTileset): string {
  const { metadata } = tileset;
  const grid = gridOf(tileset);
  const bounds: BBox = metadata.bounds ?? [-180, -85.0511287798066, 180, 85.0511287798066];
  const format = FORMAT_CONTENT_TYPES[metadata.format];
  const web = isWebMercator(grid);
  const crsBounds = metadata.crsBounds ?? gridExtent(grid);
  const limits = (web ? tileMatrixSetLimits(metadata.minzoom, metadata.maxzoom, bounds) : gridLimits(grid, metadata.minzoom, metadata.maxzoom, crsBounds))
    .map(
      (l) => `          <TileMatrixLimits>
            <TileMatrix>${l.tileMatrix}</TileMatrix>
            <MinTileRow>${l.minTileRow}</MinTileRow>
            <MaxTileRow>${l.maxTileRow}</MaxTileRow>
            <MinTileCol>${l.minTileCol}</MinTileCol>
            <MaxTileCol>${l.maxTileCol}</MaxTileCol>
          </TileMatrixLimits>`,
    )
    .join('\n');
  const abstract = metadata.description ? `\n      <ows:Abstract>${escapeXml(metadata.description)}</ows:Abstract>` : '';
  return `    <Layer>
      <ows:Title>${escapeXml(metadata.name || tileset.id)}</ows:Title>${abstract}
      <ows:WGS84BoundingBox crs="urn:ogc:def:crs:OGC:2:84">
        <ows:LowerCorner>${formatNumber(bounds[0])} ${formatNumber(bounds[1])}</ows:LowerCorner>
        <ows:UpperCorner>${formatNumber(bounds[2])} ${formatNumber(bounds[3])}</ows:UpperCorner>
      </ows:WGS84BoundingBox>${
        web
          ? ''
          : `
      <ows:BoundingBox crs="${grid.crsUrn}">
        <ows:LowerCorner>${formatNumber(crsBounds[0])} ${formatNumber(crsBounds[1])}</ows:LowerCorner>
        <ows:UpperCorner>${formatNumber(crsBounds[2])} ${formatNumber(crsBounds[3])}</ows:UpperCorner>
      </ows:BoundingBox>`
      }
      <ows:Identifier>${escapeXml(tileset.id)}</ows:Identifier>
      <Style isDefault="true">
        <ows:Identifier>${WMTS_STYLE}</ows:Identifier>
      </Style>
      <Format>${format}</Format>
      <TileMatrixSetLink>
        <TileMatrixSet>${tileMatrixSetId(metadata, grid)}</TileMatrixSet>
        <TileMatrixSetLimits>
${limits}
        </TileMatrixSetLimits>
      </TileMatrixSetLink>
      <ResourceURL format="${format}" resourceType="tile" template="${escapeXml(wmtsResourceTemplate(baseUrl, tileset))}"/>
    </Layer>`;
}

/** The levels a layer's set holds: its zooms, within the registered ones. */
interface AdvertisedLevels {
  top: number;
  depth: number;
}

function advertisedLevels(zooms: { minzoom: number; maxzoom: number }, grid: TileGrid): AdvertisedLevels {
  const depth = Math.min(Math.max(grid.firstLevel, Math.floor(zooms.maxzoom)), isWebMercator(grid) ? WEB_MERCATOR_QUAD_MAX_ZOOM : grid.registeredLastLevel);
  return { top: Math.min(Math.max(grid.firstLevel, Math.ceil(zooms.minzoom)), depth), depth };
}

/**
 * The layer's set cut to its zooms: GoogleMapsCompatible_z12 (levels 0–12), UTM39WGS84Quad_z12-13 (levels 12–13).
 * GIS clients (GDAL, QGIS) size a layer from the deepest matrix of its set, so a full 0–24 set would make a zoom-12
 * orthophoto a 2^24-tile raster; and they read their overviews from every coarser matrix of the set, whether the
 * TileMatrixSetLimits list it or not (GDAL 3.6), so a matrix above the layer's min zoom would be asked for tiles that
 * WMTS answers TileOutOfRange. Cut at both ends, a client zoomed out reads the layer's top level instead.
 */
export function tileMatrixSetId(zooms: { minzoom: number; maxzoom: number }, grid: TileGrid = TILE_GRIDS[WEB_MERCATOR_QUAD_ID]): string {
  return cutSetId(advertisedLevels(zooms, grid), grid);
}

function cutSetId({ top, depth }: AdvertisedLevels, grid: TileGrid): string {
  const base = isWebMercator(grid) ? GOOGLE_MAPS_COMPATIBLE_ID : grid.id;
  return top === grid.firstLevel ? `${base}_z${depth}` : `${base}_z${top}-${depth}`;
}

/** Identifiers a GetTile may name for a layer in `grid`: any cut of the grid's set, and the full set under its usual names. */
export function isKnownTileMatrixSetId(id: string, grid: TileGrid = TILE_GRIDS[WEB_MERCATOR_QUAD_ID]): boolean {
  const web = isWebMercator(grid);
  const names = web ? [GOOGLE_MAPS_COMPATIBLE_ID, WEB_MERCATOR_QUAD_ID] : [grid.id];
  if (names.includes(id)) return true;
  const cut = /^(\w+?)_z(?:(\d{1,2})-)?(\d{1,2})$/.exec(id);
  if (cut === null || cut[1] !== names[0]) return false;
  const [top, depth] = [Number(cut[2] ?? grid.firstLevel), Number(cut[3])];
  return top >= grid.firstLevel && top <= depth && depth <= (web ? WEB_MERCATOR_QUAD_MAX_ZOOM : grid.registeredLastLevel);
}

/** Tile matrix sets cut to some levels depend on nothing else: each is written once per process. */
const tileMatrixSetXmls = new Map<string, string>();

function tileMatrixSetXml(grid: TileGrid, levels: AdvertisedLevels): string {
  const key = `${grid.id}\n${levels.top}\n${levels.depth}`;
  let xml = tileMatrixSetXmls.get(key);
  if (xml === undefined) tileMatrixSetXmls.set(key, (xml = writeTileMatrixSetXml(grid, levels)));
  return xml;
}

function writeTileMatrixSetXml(grid: TileGrid, levels: AdvertisedLevels): string {
  const tms = grid.definition();
  const matrices = tms.tileMatrices
    .filter((m) => Number(m.id) >= levels.top && Number(m.id) <= levels.depth)
    .map(
      (m) => `      <TileMatrix>
        <ows:Identifier>${m.id}</ows:Identifier>
        <ScaleDenominator>${formatNumber(m.scaleDenominator)}</ScaleDenominator>
        <TopLeftCorner>${formatNumber(m.pointOfOrigin[0])} ${formatNumber(m.pointOfOrigin[1])}</TopLeftCorner>
        <TileWidth>${m.tileWidth}</TileWidth>
        <TileHeight>${m.tileHeight}</TileHeight>
        <MatrixWidth>${m.matrixWidth}</MatrixWidth>
        <MatrixHeight>${m.matrixHeight}</MatrixHeight>
      </TileMatrix>`,
    )
    .join('\n');
  return `    <TileMatrixSet>
      <ows:Title>${escapeXml(tms.title)}</ows:Title>
      <ows:Identifier>${cutSetId(levels, grid)}</ows:Identifier>
      <ows:SupportedCRS>${grid.crsUrn}</ows:SupportedCRS>${grid.wellKnownScaleSetUrn ? `\n      <WellKnownScaleSet>${grid.wellKnownScaleSetUrn}</WellKnownScaleSet>` : ''}
${matrices}
    </TileMatrixSet>`;
}

function operationXml(name: string, kvpUrl: string): string {
  return `    <ows:Operation name="${name}">
      <ows:DCP>
        <ows:HTTP>
          <ows:Get xlink:href="${escapeXml(kvpUrl)}">
            <ows:Constraint name="GetEncoding">
              <ows:AllowedValues>
                <ows:Value>KVP</ows:Value>
              </ows:AllowedValues>
            </ows:Constraint>
          </ows:Get>
        </ows:HTTP>
      </ows:DCP>
    </ows:Operation>`;
}

/** The whole document; `baseUrl` is the server's public URL without a trailing slash. */
export function buildWmtsCapabilities(baseUrl: string, tilesets: readonly WmtsTileset[], service: WmtsServiceInfo = {}): string {
  const published = tilesets.filter(isWmtsLayer);
  // A layer's XML is written once per archive version (and, private layers, link token) with the base URL spliced in.
  const layers = published.map((t) => cachedXml(t, 'wmts-layer', baseUrl, (base) => layerXml(base, t), escapeXml));
  // One cut set per grid and levels that some layer links to, in the table's order of grids.
  const sets = new Map<string, { grid: TileGrid; levels: AdvertisedLevels }>();
  for (const t of published) {
    const grid = gridOf(t);
    const levels = advertisedLevels(t.metadata, grid);
    sets.set(cutSetId(levels, grid), { grid, levels });
  }
  const order = Object.keys(TILE_GRIDS);
  const matrixSets = [...sets.values()].sort((a, b) => order.indexOf(a.grid.id) - order.indexOf(b.grid.id) || a.levels.depth - b.levels.depth || a.levels.top - b.levels.top);
  // With a private layer listed, the operation URLs carry the token too: a KVP client builds GetTile from them.
  const link = published.some((t) => t.private) ? withToken : (url: string) => url;
  const kvp = link(`${baseUrl}/wmts`);
  const kvpUrl = kvp.includes('?') ? `${kvp}&` : `${kvp}?`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<Capabilities xmlns="http://www.opengis.net/wmts/1.0" xmlns:ows="http://www.opengis.net/ows/1.1" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:gml="http://www.opengis.net/gml" xsi:schemaLocation="http://www.opengis.net/wmts/1.0 http://schemas.opengis.net/wmts/1.0/wmtsGetCapabilities_response.xsd" version="1.0.0">
  <ows:ServiceIdentification>
    <ows:Title>${escapeXml(service.title ?? 'Mekan basemap')}</ows:Title>
    <ows:Abstract>${escapeXml(service.abstract ?? 'Raster tilesets of the national basemap')}</ows:Abstract>
    <ows:ServiceType>OGC WMTS</ows:ServiceType>
    <ows:ServiceTypeVersion>1.0.0</ows:ServiceTypeVersion>
  </ows:ServiceIdentification>
  <ows:OperationsMetadata>
${operationXml('GetCapabilities', kvpUrl)}
${operationXml('GetTile', kvpUrl)}
  </ows:OperationsMetadata>
  <Contents>
${[...layers, ...matrixSets.map((s) => tileMatrixSetXml(s.grid, s.levels))].join('\n')}
  </Contents>
  <ServiceMetadataURL xlink:href="${escapeXml(link(`${baseUrl}/wmts/1.0.0/WMTSCapabilities.xml`))}"/>
</Capabilities>
`;
}
