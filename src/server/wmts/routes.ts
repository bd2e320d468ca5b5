// GET /wmts/1.0.0/WMTSCapabilities.xml and RESTful tiles under /wmts/1.0.0/{layer}/…, and /wmts?SERVICE=WMTS&REQUEST=…
// (KVP GetCapabilities, GetTile). Every refusal is an OWS exception report (./exceptions.ts).
import type { Context } from 'koa';
import type { RouteModule, ServerContext } from '../module.js';
import type { Tileset } from '../registry.js';
import { tilesFastPath } from '../routes/tiles.js';
import { isInMatrix } from '../../grid/tileMatrixSets.js';
import { answerWithTileRoute } from '../tileAlias.js';
import { buildWmtsCapabilities, isKnownTileMatrixSetId, isWmtsLayer, tileMatrixSetId, WMTS_STYLE } from './capabilities.js';
import { exceptionReport, wmtsTileErrorBody, XML_TYPE, type WmtsException } from './exceptions.js';

function sendCapabilities(ctx: Context, context: ServerContext): void {
  ctx.set('Cache-Control', 'public, max-age=60');
  ctx.type = XML_TYPE;
  ctx.body = buildWmtsCapabilities(context.publicUrl(ctx.req), context.registry.list());
}

function sendException(ctx: Context, exception: WmtsException): void {
  ctx.status = exception.status;
  ctx.set('Cache-Control', 'no-store');
  ctx.type = XML_TYPE;
  ctx.body = exceptionReport(exception);
}

/** KVP parameter names are case-insensitive; a repeated one counts as its first value. */
function kvp(ctx: Context): Map<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of Object.entries(ctx.query)) {
    const key = name.toUpperCase();
    if (!params.has(key)) params.set(key, Array.isArray(value) ? (value[0] ?? '') : (value ?? ''));
  }
  return params;
}

/** A GetTile request, KVP or RESTful, as the client wrote it. */
interface GetTile {
  layer: string;
  style?: string;
  tileMatrixSet: string;
  tileMatrix: string;
  tileRow: string;
  tileCol: string;
  /** KVP FORMAT (a media type); RESTful requests name the format by their extension instead. */
  format?: string;
  extension?: string;
}

const invalid = (locator: string, text: string, status = 400): WmtsException => ({ status, code: 'InvalidParameterValue', locator, text });
const outOfRange = (locator: string, text: string): WmtsException => ({ status: 400, code: 'TileOutOfRange', locator, text });

/**
 * The tileset a GetTile names, or the exception WMTS 1.0 §8.2.1 (Table 28) defines: an unknown layer, style, format,
 * tile matrix set or tile matrix is an InvalidParameterValue; a row or column outside the matrix or the layer's
 * TileMatrixSetLimits, or a matrix outside its zooms, a TileOutOfRange; both 400 (an unknown layer 404, as the tile
 * route answers an unknown tileset). Checked here, so the tile route is asked only for tiles the layer has.
 */
function checkGetTile(context: ServerContext, request: GetTile): Tileset | WmtsException {
  const { layer } = request;
  const tileset = context.registry.get(layer);
  if (!tileset || !isWmtsLayer(tileset)) return invalid('LAYER', `no layer "${layer}"`, 404);
  const { grid, metadata } = tileset;
  if (!isKnownTileMatrixSetId(request.tileMatrixSet, grid)) {
    return invalid('TILEMATRIXSET', `unknown tile matrix set "${request.tileMatrixSet}" for layer "${layer}" (offered: ${tileMatrixSetId(metadata, grid)})`);
  }
  if (request.format && request.format !== tileset.contentType) return invalid('FORMAT', `layer "${layer}" is served as ${tileset.contentType}`);
  if (request.extension !== undefined && !tileset.extensions.includes(request.extension.toLowerCase())) {
    return invalid('FORMAT', `layer "${layer}" is served as .${tileset.extensions.join(' or .')} (${tileset.contentType})`);
  }
  if (request.style && request.style !== WMTS_STYLE) return invalid('STYLE', `the only style is "${WMTS_STYLE}"`);
  const [matrix, row, col] = [request.tileMatrix, request.tileRow, request.tileCol].map((text) => (/^\d{1,10}$/.test(text) ? Number(text) : -1));
  const tileMatrix = matrix < 0 ? undefined : grid.matrix(matrix);
  if (!tileMatrix) return invalid('TILEMATRIX', `no tile matrix "${request.tileMatrix}" in ${grid.id}`);
  if (row < 0) return invalid('TILEROW', 'TILEROW must be a non-negative integer');
  if (col < 0) return invalid('TILECOL', 'TILECOL must be a non-negative integer');
  if (matrix < metadata.minzoom || matrix > metadata.maxzoom) return outOfRange('TILEMATRIX', `layer "${layer}" has tile matrices ${metadata.minzoom}–${metadata.maxzoom}`);
  if (!isInMatrix(grid, matrix, col, row) || !tileset.covers(matrix, col, row)) {
    const locator = row >= tileMatrix.matrixHeight ? 'TILEROW' : col >= tileMatrix.matrixWidth ? 'TILECOL' : 'TILEROW,TILECOL';
    return outOfRange(locator, `tile ${matrix}/${row}/${col} is outside layer "${layer}"`);
  }
  return tileset;
}

export const wmtsModule: RouteModule = {
  name: 'wmts',
  register(router, context) {
    const tiles = tilesFastPath(context);
    const getTile = (ctx: Context, request: GetTile) => {
      const checked = checkGetTile(context, request);
      if ('code' in checked) return sendException(ctx, checked);
      answerWithTileRoute(ctx, tiles, checked, request.tileMatrix, request.tileCol, request.tileRow, wmtsTileErrorBody);
    };
    router.get('/wmts/1.0.0/WMTSCapabilities.xml', (ctx) => sendCapabilities(ctx, context));
    // The ResourceURL template of every layer (capabilities.ts): WMTS 1.0 §10.2.1's layer/style/set/matrix/row/col.
    router.get('/wmts/1.0.0/:layer/:style/:tileMatrixSet/:tileMatrix/:tileRow/:tile', (ctx) => {
      const { layer, style, tileMatrixSet, tileMatrix, tileRow, tile } = ctx.params;
      const dot = tile.lastIndexOf('.');
      if (dot <= 0) return sendException(ctx, invalid('FORMAT', 'expected {TileCol}.{extension} as the last path segment'));
      getTile(ctx, { layer, style, tileMatrixSet, tileMatrix, tileRow, tileCol: tile.slice(0, dot), extension: tile.slice(dot + 1) });
    });
    router.get('/wmts', (ctx) => {
      const params = kvp(ctx);
      const service = params.get('SERVICE');
      if (service !== undefined && service.toUpperCase() !== 'WMTS') return sendException(ctx, invalid('SERVICE', 'SERVICE must be WMTS'));
      const request = params.get('REQUEST');
      if (!request) return sendException(ctx, { status: 400, code: 'MissingParameterValue', locator: 'REQUEST', text: 'REQUEST is required (GetCapabilities or GetTile)' });
      if (request.toLowerCase() === 'getcapabilities') return sendCapabilities(ctx, context);
      if (request.toLowerCase() !== 'gettile') return sendException(ctx, { status: 400, code: 'OperationNotSupported', locator: 'REQUEST', text: `unsupported request "${request}"` });
      for (const name of ['LAYER', 'TILEMATRIXSET', 'TILEMATRIX', 'TILEROW', 'TILECOL']) {
        if (!params.get(name)) return sendException(ctx, { status: 400, code: 'MissingParameterValue', locator: name, text: `${name} is required` });
      }
      getTile(ctx, {
        layer: params.get('LAYER')!,
        style: params.get('STYLE'),
        tileMatrixSet: params.get('TILEMATRIXSET')!,
        tileMatrix: params.get('TILEMATRIX')!,
        tileRow: params.get('TILEROW')!,
        tileCol: params.get('TILECOL')!,
        format: params.get('FORMAT'),
      });
    });
  },
};
