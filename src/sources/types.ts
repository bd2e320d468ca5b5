// What every vector source format yields: one stream of WGS 84 GeoJSON features, whatever the file was.
import type { Geometry } from 'geojson';

export type PropertyValue = string | number | boolean | null;

export interface SourceFeature {
  /** WGS 84 longitude/latitude, validated (finite, in range, rings closed). */
  geometry: Geometry;
  properties: Record<string, PropertyValue>;
  /** Where the feature is in its file, for reports: `feature 12`, `line 40`, `row 7`, `record 3` (Shapefile), `fid 5` (GeoPackage). */
  where: string;
  /** The feature's own id when it is a non-negative integer (GeoJSON `id`, GeoPackage fid): the vector tile feature id. */
  id?: number;
}

/** A feature that was skipped, and why; the build counts these and reports the first examples. */
export interface FeatureProblem {
  file: string;
  where: string;
  reason: string;
}

export interface FeatureSource {
  /** The file read. */
  readonly path: string;
  /** Default layer name: the file name without extension. */
  readonly layerName: string;
  /** The CRS the file declared, as resolved (`EPSG:4326`, `EPSG:32639`, …). */
  readonly crsLabel: string;
  /**
   * Streams the features. Invalid features are passed to `onProblem` and skipped; a problem with the
   * file as a whole (unreadable, unknown CRS, truncated beyond recovery) throws an InputError naming it.
   */
  features(onProblem: (problem: FeatureProblem) => void): AsyncIterable<SourceFeature>;
}

export interface OpenSourceOptions {
  /** CSV: column names for longitude/latitude or WKT (detected when absent). */
  lonColumn?: string;
  latColumn?: string;
  wktColumn?: string;
  /** A CRS to assume when the file names none (default: WGS 84 for GeoJSON/CSV, an error otherwise). */
  assumeCrs?: string;
  /** Text encoding of attribute data when the file does not say (Shapefile .cpg). */
  encoding?: string;
  /** GeoPackage: the feature table to read (also written `file.gpkg:table`); default the first one. */
  table?: string;
}
