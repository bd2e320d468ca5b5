// Shapefile reader: geometry from .shp, attributes from .dbf in the encoding its .cpg names, CRS from its .prj.
// Our own record readers (shp.ts, dbf.ts) replace the shapefile package: it took seconds on Natural Earth's ocean.
// Without a .prj the coordinates are taken as WGS 84 only when the file's bounding box lies within longitude and
// latitude range; otherwise the file is refused (pass assumeCrs), since guessing a projection misplaces every tile.
import { existsSync, readFileSync } from 'node:fs';
import { basename, extname, join, dirname } from 'node:path';
import type { Geometry } from 'geojson';
import { InputError } from '../errors.js';
import { resolveCrs, resolveEpsg, type ResolvedCrs } from '../crs/resolve.js';
import { shapefileEncoding } from './shapefileEncoding.js';
import { BlockReader } from './blockReader.js';
import { DbfEncodingError, DbfReader } from './dbf.js';
import { readShpHeader, ShpError, ShpRecords } from './shp.js';
import { featureGate } from './validate.js';
import type { FeatureProblem, FeatureSource, OpenSourceOptions, PropertyValue, SourceFeature } from './types.js';

export async function openShapefile(path: string, options: OpenSourceOptions = {}): Promise<FeatureSource> {
  const stem = join(dirname(path), basename(path, extname(path)));
  const sibling = (extension: string) => [extension, extension.toUpperCase()].map((ext) => stem + ext).find(existsSync) ?? stem + extension;
  const dbfPath = sibling('.dbf');
  const shxPath = sibling('.shx');
  const crs = shapefileCrs(path, sibling('.prj'), shpBounds(path), options);
  const { encoding } = shapefileEncoding(dbfPath, sibling('.cpg'), options.encoding);
  return {
    path,
    layerName: basename(path, extname(path)),
    crsLabel: crs.label,
    features: (onProblem) => readFeatures(path, existsSync(dbfPath) ? dbfPath : undefined, existsSync(shxPath) ? shxPath : undefined, encoding, crs, onProblem),
  };
}

/** The bounding box in the .shp header; reading it also checks that the file is a Shapefile at all. */
function shpBounds(path: string): [number, number, number, number] {
  const reader = new BlockReader(path);
  try {
    return readShpHeader(reader).bounds;
  } catch (error) {
    throw new InputError(path, error instanceof ShpError ? error.message : String(error));
  } finally {
    reader.close();
  }
}

function shapefileCrs(path: string, prjPath: string, bounds: [number, number, number, number], options: OpenSourceOptions): ResolvedCrs {
  if (existsSync(prjPath)) {
    const text = readFileSync(prjPath, 'utf8').trim();
    if (text) return resolveCrs(text, prjPath);
  }
  if (options.assumeCrs) return resolveCrs(options.assumeCrs, path);
  const [xmin, ymin, xmax, ymax] = bounds;
  if (xmin >= -180 && xmax <= 180 && ymin >= -90 && ymax <= 90) return resolveEpsg(4326, path);
  throw new InputError(path, `no .prj file and the coordinates (${xmin}, ${ymin} – ${xmax}, ${ymax}) are not longitude/latitude; add the .prj or name the CRS`);
}

async function* readFeatures(path: string, dbfPath: string | undefined, shxPath: string | undefined, encoding: string, crs: ResolvedCrs, onProblem: (problem: FeatureProblem) => void): AsyncGenerator<SourceFeature> {
  const gate = featureGate(path, crs, onProblem, { flatProperties: true });
  const shapes = new BlockReader(path);
  let table: DbfReader | undefined;
  let index: BlockReader | undefined;
  try {
    const { shapeType } = readShpHeader(shapes);
    index = shxPath ? new BlockReader(shxPath) : undefined;
    const records = new ShpRecords(shapes, index, shapeType);
    table = dbfPath ? new DbfReader(dbfPath, encoding) : undefined;
    for (let record = 1; ; record++) {
      const where = `record ${record}`;
      let geometry: Geometry | null | undefined;
      try {
        geometry = records.next();
      } catch (error) {
        if (!(error instanceof ShpError)) throw error;
        // A damaged record length leaves no way to find the next record: what came before stands.
        onProblem({ file: path, where, reason: error.message });
        return;
      }
      if (geometry === undefined) return;
      let properties: Record<string, PropertyValue> | undefined = {};
      try {
        properties = table ? table.next() : {};
      } catch (error) {
        if (!(error instanceof DbfEncodingError)) throw error;
        onProblem({ file: path, where, reason: `attribute ${error.field} is not valid ${encoding.toUpperCase()} (wrong encoding; check the .cpg)` });
        continue;
      }
      if (properties === undefined) {
        onProblem({ file: path, where, reason: 'no attributes for this record (the .dbf is shorter than the .shp)' });
        continue;
      }
      const feature = gate(geometry, properties, where);
      if (feature) yield feature;
    }
  } finally {
    shapes.close();
    index?.close();
    table?.close();
  }
}
