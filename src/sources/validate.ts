// The one gate every source format's features pass through: reproject to WGS 84, check the geometry, flatten attributes.
import type { Geometry, Position } from 'geojson';
import { toWgs84, type ResolvedCrs } from '../crs/resolve.js';
import type { FeatureProblem, PropertyValue, SourceFeature } from './types.js';

/** Turns a raw geometry and attributes into a SourceFeature, or reports why not and returns undefined. */
export type FeatureGate = (geometry: unknown, properties: unknown, where: string, id?: unknown) => SourceFeature | undefined;

/** A vector tile feature id is an unsigned integer: other ids (strings, negatives, fractions) stay out of it. */
export function tileFeatureId(id: unknown): number | undefined {
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : undefined;
}

/** Thrown inside the geometry walk; caught by the gate and turned into a FeatureProblem. */
class GeometryProblem extends Error {}

// proj4 can land a hair outside ±180/±90 for points on the edge; this much is rounding, not bad data.
const EDGE_TOLERANCE = 1e-7;

/**
 * `flatProperties`: the reader's attributes are already as a tile carries them (scalars, finite numbers), as a
 * dBASE table's are: they are passed on as they are, not copied.
 */
export function featureGate(file: string, crs: ResolvedCrs, onProblem: (problem: FeatureProblem) => void, options: { flatProperties?: boolean } = {}): FeatureGate {
  const properties = options.flatProperties ? (raw: unknown) => raw as Record<string, PropertyValue> : flattenProperties;
  const project = crs.isWgs84 ? undefined : toWgs84(crs);
  const projected = crs.isWgs84 ? '' : ` (after reprojection from ${crs.label})`;

  // Positions and position lists that need no change are passed on as they are: the readers hand over freshly
  // built arrays, and not copying them again halves the garbage a large file makes.
  function position(raw: unknown): Position {
    if (!Array.isArray(raw) || raw.length < 2) throw new GeometryProblem('a position is not an array of at least two numbers');
    let x = raw[0] as number;
    let y = raw[1] as number;
    if (typeof x !== 'number' || typeof y !== 'number' || !Number.isFinite(x) || !Number.isFinite(y)) {
      throw new GeometryProblem(`coordinate is not a finite number: [${String(raw[0])}, ${String(raw[1])}]`);
    }
    if (project) {
      const sourceX = x;
      const sourceY = y;
      [x, y] = project(x, y);
      if (!Number.isFinite(x) || !Number.isFinite(y)) throw new GeometryProblem(`coordinate [${sourceX}, ${sourceY}] cannot be reprojected from ${crs.label}`);
    } else if (raw.length === 2 && x >= -180 && x <= 180 && y >= -90 && y <= 90) {
      return raw as Position;
    }
    if (Math.abs(x) > 180 || Math.abs(y) > 90) {
      if (Math.abs(x) > 180 + EDGE_TOLERANCE || Math.abs(y) > 90 + EDGE_TOLERANCE) {
        throw new GeometryProblem(`coordinate out of range${projected}: [${x}, ${y}]`);
      }
      x = Math.max(-180, Math.min(180, x));
      y = Math.max(-90, Math.min(90, y));
    }
    return [x, y];
  }

  function positions(raw: unknown, minimum: number, what: string): Position[] {
    if (!Array.isArray(raw)) throw new GeometryProblem(`${what} coordinates are not an array`);
    if (raw.length < minimum) throw new GeometryProblem(`${what} has ${raw.length} position(s), needs at least ${minimum}`);
    let result: Position[] | undefined;
    for (let i = 0; i < raw.length; i++) {
      const checked = position(raw[i]);
      if (checked !== raw[i] && !result) result = raw.slice(0, i) as Position[];
      if (result) result.push(checked);
    }
    return result ?? (raw as Position[]);
  }

  function ring(raw: unknown): Position[] {
    const result = positions(raw, 4, 'polygon ring');
    // Closure is checked on the source coordinates: GeoJSON and the binary formats require exact equality.
    const first = (raw as number[][])[0];
    const last = (raw as number[][])[result.length - 1];
    if (first[0] !== last[0] || first[1] !== last[1]) throw new GeometryProblem('polygon ring is not closed (first and last positions differ)');
    return result;
  }

  function polygon(raw: unknown): Position[][] {
    if (!Array.isArray(raw)) throw new GeometryProblem('polygon coordinates are not an array');
    if (raw.length === 0) throw new GeometryProblem('polygon has no rings');
    return raw.map(ring);
  }

  function parts<T>(raw: unknown, what: string, part: (raw: unknown) => T): T[] {
    if (!Array.isArray(raw)) throw new GeometryProblem(`${what} coordinates are not an array`);
    if (raw.length === 0) throw new GeometryProblem(`${what} is empty`);
    return raw.map(part);
  }

  function geometry(raw: unknown): Geometry {
    if (raw === null || raw === undefined) throw new GeometryProblem('no geometry');
    if (typeof raw !== 'object') throw new GeometryProblem('geometry is not an object');
    const { type, coordinates, geometries } = raw as { type?: unknown; coordinates?: unknown; geometries?: unknown };
    switch (type) {
      case 'Point':
        return { type, coordinates: position(coordinates) };
      case 'MultiPoint':
        return { type, coordinates: parts(coordinates, 'MultiPoint', position) };
      case 'LineString':
        return { type, coordinates: positions(coordinates, 2, 'line') };
      case 'MultiLineString':
        return { type, coordinates: parts(coordinates, 'MultiLineString', (line) => positions(line, 2, 'line')) };
      case 'Polygon':
        return { type, coordinates: polygon(coordinates) };
      case 'MultiPolygon':
        return { type, coordinates: parts(coordinates, 'MultiPolygon', polygon) };
      case 'GeometryCollection':
        return { type, geometries: parts(geometries, 'GeometryCollection', geometry) };
      default:
        throw new GeometryProblem(`unknown geometry type ${JSON.stringify(type)}`);
    }
  }

  return (rawGeometry, rawProperties, where, rawId) => {
    try {
      const feature: SourceFeature = { geometry: geometry(rawGeometry), properties: properties(rawProperties), where };
      const id = tileFeatureId(rawId);
      if (id !== undefined) feature.id = id;
      return feature;
    } catch (error) {
      if (!(error instanceof GeometryProblem)) throw error;
      onProblem({ file, where, reason: error.message });
      return undefined;
    }
  };
}

/**
 * Attributes as a vector tile can carry them: scalars stay as they are, nested objects and arrays become
 * their JSON text (as GDAL and tippecanoe do), non-finite numbers become null.
 */
export function flattenProperties(raw: unknown): Record<string, PropertyValue> {
  const result: Record<string, PropertyValue> = {};
  if (raw === null || typeof raw !== 'object') return result;
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        result[key] = value;
        break;
      case 'number':
        result[key] = Number.isFinite(value) ? value : null;
        break;
      case 'bigint':
        result[key] = Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
        break;
      case 'object':
        if (value === null) result[key] = null;
        else if (value instanceof Date) result[key] = value.toISOString();
        else result[key] = JSON.stringify(value);
        break;
      default:
        break; // undefined, functions: nothing a file can carry
    }
  }
  return result;
}
