// OWS 1.1 exception reports: how WMTS 1.0 (§8.2.1, Table 28) answers a failed request, KVP and RESTful alike.
import type { TileErrorBody } from '../routes/tiles.js';
import { escapeXml } from './capabilities.js';

export const XML_TYPE = 'application/xml; charset=utf-8';

/** One failed WMTS request: the HTTP status, the OWS exception code and the parameter it is about. */
export interface WmtsException {
  status: number;
  code: 'InvalidParameterValue' | 'MissingParameterValue' | 'OperationNotSupported' | 'TileOutOfRange' | 'NoApplicableCode';
  /** The parameter at fault (TILEMATRIXSET, TILEROW…); absent when the failure is the server's. */
  locator?: string;
  text: string;
}

export function exceptionReport({ code, locator, text }: WmtsException): string {
  const at = locator === undefined ? '' : ` locator="${escapeXml(locator)}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<ExceptionReport xmlns="http://www.opengis.net/ows/1.1" version="1.1.0" xml:lang="en">
  <Exception exceptionCode="${code}"${at}>
    <ExceptionText>${escapeXml(text)}</ExceptionText>
  </Exception>
</ExceptionReport>
`;
}

/**
 * What the tile route still may refuse once a WMTS request was checked: the archive failing (5xx) or a tile that
 * changed under a hot reload. Written as exception reports too, so that a client parses every failure one way.
 */
export const wmtsTileErrorBody: TileErrorBody = (status, message) => ({
  contentType: XML_TYPE,
  body: exceptionReport({ status, code: status >= 500 ? 'NoApplicableCode' : status === 404 ? 'TileOutOfRange' : 'InvalidParameterValue', text: message }),
});
