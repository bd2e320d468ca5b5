// Builds the WMTS 1.0.0 capabilities document (RESTful and KVP) for the served raster tilesets.
import type { ArchiveMetadata } from '../../archive/types.js';
import { FORMAT_CONTENT_TYPES } from '../../archive/types.js';
import {
  EPSG_3857_URN,
  GOOGLE_MAPS_COMPATIBLE_ID,
  GOOGLE_MAPS_COMPATIBLE_URN,
  tileMatrixSetLimits,
  webMercatorQuad,
  WEB_MERCATOR_QUAD_ID,
  WEB_MERCATOR_QUAD_MAX_ZOOM,
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

function layerXml(baseUrl: string, tileset: WmtsTileset): string {
  const { metadata } = tileset;
  const bounds: BBox = metadata.bounds ?? [-180, -85.0511287798066, 180, 85.0511287798066];
  const format = FORMAT_CONTENT_TYPES[metadata.format];
  const limits = tileMatrixSetLimits(metadata.minzoom, metadata.maxzoom, bounds)
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
      </ows:WGS84BoundingBox>
      <ows:Identifier>${escapeXml(tileset.id)}</ows:Identifier>
      <Style isDefault="true">
        <ows:Identifier>default</ows:Identifier>
      </Style>
      <Format>${format}</Format>
      <TileMatrixSetLink>
        <TileMatrixSet>${tileMatrixSetId(metadata.maxzoom)}</TileMatrixSet>
        <TileMatrixSetLimits>
${limits}
        </TileMatrixSetLimits>
      </TileMatrixSetLink>
      <ResourceURL format="${format}" resourceType="tile" template="${escapeXml(wmtsResourceTemplate(baseUrl, tileset))}"/>
    </Layer>`;
}

/**
 * GoogleMapsCompatible cut at a layer's deepest zoom. GIS clients (GDAL, QGIS) size a layer from the
 * deepest matrix of its set, so a full 0–24 set would make a zoom-12 orthophoto a 2^24-tile raster.
 */
export function tileMatrixSetId(maxzoom: number): string {
  return `${GOOGLE_MAPS_COMPATIBLE_ID}_z${advertisedDepth(maxzoom)}`;
}

/** The deepest matrix advertised for a tileset: its maxzoom, within the registered 0–24. */
function advertisedDepth(maxzoom: number): number {
  return Math.min(Math.max(0, Math.floor(maxzoom)), WEB_MERCATOR_QUAD_MAX_ZOOM);
}

/** Identifiers a KVP GetTile may name: the advertised cut sets, and the full set under its usual names. */
export function isKnownTileMatrixSetId(id: string): boolean {
  const cut = /^GoogleMapsCompatible_z(\d{1,2})$/.exec(id);
  return id === GOOGLE_MAPS_COMPATIBLE_ID || id === WEB_MERCATOR_QUAD_ID || (cut !== null && Number(cut[1]) <= WEB_MERCATOR_QUAD_MAX_ZOOM);
}

function tileMatrixSetXml(maxzoom: number): string {
  const tms = webMercatorQuad();
  const matrices = tms.tileMatrices
    .slice(0, advertisedDepth(maxzoom) + 1)
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
      <ows:Identifier>${tileMatrixSetId(maxzoom)}</ows:Identifier>
      <ows:SupportedCRS>${EPSG_3857_URN}</ows:SupportedCRS>
      <WellKnownScaleSet>${GOOGLE_MAPS_COMPATIBLE_URN}</WellKnownScaleSet>
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
  const depths = [...new Set(published.map((t) => advertisedDepth(t.metadata.maxzoom)))].sort((a, b) => a - b);
  const kvpUrl = `${baseUrl}/wmts?`;
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
${[...layers, ...depths.map(tileMatrixSetXml)].join('\n')}
  </Contents>
  <ServiceMetadataURL xlink:href="${escapeXml(`${baseUrl}/wmts/1.0.0/WMTSCapabilities.xml`)}"/>
</Capabilities>
`;
}
