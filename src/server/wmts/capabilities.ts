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

/** The tile URL a WMTS client fills in; XYZ rows count from the top exactly as WMTS TileRow does. */
export function wmtsResourceTemplate(baseUrl: string, tileset: WmtsTileset): string {
  const ext = tileset.metadata.format;
  const template = `${baseUrl}/tiles/${encodeURIComponent(tileset.id)}/{TileMatrix}/{TileCol}/{TileRow}.${ext}`;
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
        <ows:Identifier>default</ows:Identifier>
      </Style>
      <Format>${format}</Format>
      <TileMatrixSetLink>
        <TileMatrixSet>${tileMatrixSetId(metadata.maxzoom, grid)}</TileMatrixSet>
        <TileMatrixSetLimits>
${limits}
        </TileMatrixSetLimits>
      </TileMatrixSetLink>
      <ResourceURL format="${format}" resourceType="tile" template="${escapeXml(wmtsResourceTemplate(baseUrl, tileset))}"/>
    </Layer>`;
}

/**
 * The layer's set cut at its deepest zoom (GoogleMapsCompatible_z12, UTM39WGS84Quad_z13). GIS clients (GDAL, QGIS)
 * size a layer from the deepest matrix of its set, so a full 0–24 set would make a zoom-12 orthophoto a 2^24-tile raster.
 */
export function tileMatrixSetId(maxzoom: number, grid: TileGrid = TILE_GRIDS[WEB_MERCATOR_QUAD_ID]): string {
  return `${isWebMercator(grid) ? GOOGLE_MAPS_COMPATIBLE_ID : grid.id}_z${advertisedDepth(maxzoom, grid)}`;
}

/** The deepest matrix advertised for a tileset: its maxzoom, within the registered levels. */
function advertisedDepth(maxzoom: number, grid: TileGrid): number {
  return Math.min(Math.max(grid.firstLevel, Math.floor(maxzoom)), isWebMercator(grid) ? WEB_MERCATOR_QUAD_MAX_ZOOM : grid.registeredLastLevel);
}

/** Identifiers a KVP GetTile may name for a layer in `grid`: the advertised cut sets, and the full set under its usual names. */
export function isKnownTileMatrixSetId(id: string, grid: TileGrid = TILE_GRIDS[WEB_MERCATOR_QUAD_ID]): boolean {
  const web = isWebMercator(grid);
  const cut = /^(\w+)_z(\d{1,2})$/.exec(id);
  const names = web ? [GOOGLE_MAPS_COMPATIBLE_ID, WEB_MERCATOR_QUAD_ID] : [grid.id];
  if (names.includes(id)) return true;
  return cut !== null && cut[1] === names[0] && Number(cut[2]) >= grid.firstLevel && Number(cut[2]) <= (web ? WEB_MERCATOR_QUAD_MAX_ZOOM : grid.registeredLastLevel);
}

function tileMatrixSetXml(grid: TileGrid, depth: number): string {
  const tms = grid.definition();
  const matrices = tms.tileMatrices
    .filter((m) => Number(m.id) <= depth)
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
      <ows:Identifier>${tileMatrixSetId(depth, grid)}</ows:Identifier>
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
  const layers = published.map((t) => layerXml(baseUrl, t));
  // One cut set per grid and depth that some layer links to, in the table's order of grids.
  const sets = new Map<string, { grid: TileGrid; depth: number }>();
  for (const t of published) {
    const grid = gridOf(t);
    sets.set(tileMatrixSetId(t.metadata.maxzoom, grid), { grid, depth: advertisedDepth(t.metadata.maxzoom, grid) });
  }
  const order = Object.keys(TILE_GRIDS);
  const matrixSets = [...sets.values()].sort((a, b) => order.indexOf(a.grid.id) - order.indexOf(b.grid.id) || a.depth - b.depth);
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
${[...layers, ...matrixSets.map((s) => tileMatrixSetXml(s.grid, s.depth))].join('\n')}
  </Contents>
  <ServiceMetadataURL xlink:href="${escapeXml(link(`${baseUrl}/wmts/1.0.0/WMTSCapabilities.xml`))}"/>
</Capabilities>
`;
}
