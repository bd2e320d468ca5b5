// GET /wmts/1.0.0/WMTSCapabilities.xml (RESTful) and /wmts?SERVICE=WMTS&REQUEST=… (KVP GetCapabilities, GetTile).
import type { Context } from 'koa';
import type { RouteModule, ServerContext } from '../module.js';
import { tilesFastPath } from '../routes/tiles.js';
import { isInMatrix } from '../../grid/tileMatrixSets.js';
import { answerWithTileRoute } from '../tileAlias.js';
import { buildWmtsCapabilities, escapeXml, isKnownTileMatrixSetId, isWmtsLayer, tileMatrixSetId } from './capabilities.js';

const XML_TYPE = 'application/xml; charset=utf-8';

function sendCapabilities(ctx: Context, context: ServerContext): void {
  ctx.set('Cache-Control', 'public, max-age=60');
  ctx.type = XML_TYPE;
  ctx.body = buildWmtsCapabilities(context.publicUrl(ctx.req), context.registry.list());
}

/** OWS 1.1 exception report: what WMTS clients expect to parse on a failed KVP request. */
function sendException(ctx: Context, status: number, code: string, locator: string, text: string): void {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.type = XML_TYPE;
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>
<ExceptionReport xmlns="http://www.opengis.net/ows/1.1" version="1.1.0" xml:lang="en">
  <Exception exceptionCode="${code}" locator="${escapeXml(locator)}">
    <ExceptionText>${escapeXml(text)}</ExceptionText>
  </Exception>
</ExceptionReport>
`;
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

export const wmtsModule: RouteModule = {
  name: 'wmts',
  register(router, context) {
    const tiles = tilesFastPath(context);
    router.get('/wmts/1.0.0/WMTSCapabilities.xml', (ctx) => sendCapabilities(ctx, context));
    router.get('/wmts', (ctx) => {
      const params = kvp(ctx);
      const service = params.get('SERVICE');
      if (service !== undefined && service.toUpperCase() !== 'WMTS') return sendException(ctx, 400, 'InvalidParameterValue', 'SERVICE', 'SERVICE must be WMTS');
      const request = params.get('REQUEST');
      if (!request) return sendException(ctx, 400, 'MissingParameterValue', 'REQUEST', 'REQUEST is required (GetCapabilities or GetTile)');
      if (request.toLowerCase() === 'getcapabilities') return sendCapabilities(ctx, context);
      if (request.toLowerCase() !== 'gettile') return sendException(ctx, 400, 'OperationNotSupported', 'REQUEST', `unsupported request "${request}"`);

      for (const name of ['LAYER', 'TILEMATRIXSET', 'TILEMATRIX', 'TILEROW', 'TILECOL']) {
        if (!params.get(name)) return sendException(ctx, 400, 'MissingParameterValue', name, `${name} is required`);
      }
      const layer = params.get('LAYER')!;
      const tileset = context.registry.get(layer);
      if (!tileset || !isWmtsLayer(tileset)) return sendException(ctx, 404, 'InvalidParameterValue', 'LAYER', `no layer "${layer}"`);
      if (!isKnownTileMatrixSetId(params.get('TILEMATRIXSET')!, tileset.grid)) return sendException(ctx, 400, 'InvalidParameterValue', 'TILEMATRIXSET', `unknown tile matrix set for layer "${layer}" (offered: ${tileMatrixSetId(tileset.metadata.maxzoom, tileset.grid)})`);
      const format = params.get('FORMAT');
      if (format && format !== tileset.contentType) return sendException(ctx, 400, 'InvalidParameterValue', 'FORMAT', `layer "${layer}" is served as ${tileset.contentType}`);
      const style = params.get('STYLE');
      if (style && style !== 'default') return sendException(ctx, 400, 'InvalidParameterValue', 'STYLE', 'the only style is "default"');
      // WMTS 1.0 §8.2.1 (Table 28): a TileMatrix the set lacks is an InvalidParameterValue, a row or column outside
      // the matrix or the layer's TileMatrixSetLimits a TileOutOfRange, both 400 with an exception report.
      const [matrix, row, col] = ['TILEMATRIX', 'TILEROW', 'TILECOL'].map((name) => (/^\d{1,10}$/.test(params.get(name)!) ? Number(params.get(name)) : -1));
      const { grid, metadata } = tileset;
      if (matrix < 0 || !grid.matrix(matrix)) return sendException(ctx, 400, 'InvalidParameterValue', 'TILEMATRIX', `no tile matrix "${params.get('TILEMATRIX')}" in ${grid.id}`);
      if (row < 0) return sendException(ctx, 400, 'InvalidParameterValue', 'TILEROW', 'TILEROW must be a non-negative integer');
      if (col < 0) return sendException(ctx, 400, 'InvalidParameterValue', 'TILECOL', 'TILECOL must be a non-negative integer');
      if (matrix < metadata.minzoom || matrix > metadata.maxzoom) return sendException(ctx, 400, 'TileOutOfRange', 'TILEMATRIX', `layer "${layer}" has tile matrices ${metadata.minzoom}–${metadata.maxzoom}`);
      if (!isInMatrix(grid, matrix, col, row) || !tileset.covers(matrix, col, row)) {
        const { matrixWidth, matrixHeight } = grid.matrix(matrix)!;
        const locator = row >= matrixHeight ? 'TILEROW' : col >= matrixWidth ? 'TILECOL' : 'TILEROW,TILECOL';
        return sendException(ctx, 400, 'TileOutOfRange', locator, `tile ${matrix}/${row}/${col} is outside layer "${layer}"`);
      }
      answerWithTileRoute(ctx, tiles, tileset, params.get('TILEMATRIX')!, params.get('TILECOL')!, params.get('TILEROW')!);
    });
  },
};
