// Reads one layer's sources once: filter, attribute rules, field types, and every feature part simplified for
// each zoom band and clipped into the partitions of that band, spilled to disk.
import { InputError } from '../errors.js';
import type { FeatureProblem, FeatureSource, PropertyValue } from '../sources/types.js';
import { compileAttributeRules, FieldTypes } from './attributes.js';
import { compileFilter, type FilterGeometryType } from './filter.js';
import { clipGeometry, clipStripe, closeClipScope, geometryBox, openClipScope, projectGeometry, projectX, projectY, rewindClipSlabs, shiftGeometry, simplifyGeometry, weighGeometry, type ProjectedBox, type ProjectedGeometry } from './geometry.js';
import { EXTENT, type BuildPlan, type LayerPlan } from './plan.js';
import { PointSelection } from './pointSelection.js';
import { encodeRecord, PartitionSpill, type SpilledAttributes, type SpillSegment } from './spill.js';
import { PROBLEM_EXAMPLES, type LayerSummary } from './summary.js';

/**
 * A band of zooms cut from partitions at its first zoom. The deepest band starts at the partition zoom and
 * keeps full detail; each band below it spans three zooms and holds features pre-simplified for its last
 * zoom, so the low zooms never need one index over the whole dataset at full detail.
 */
export interface Band {
  start: number;
  end: number;
  /** Squared Douglas–Peucker tolerance in projected units per layer; undefined for the full-detail band. */
  sqTolerance?: number[];
}

export interface PartitionInfo {
  key: string;
  z: number;
  x: number;
  y: number;
  /** Zooms this partition's tiles cover. */
  minzoom: number;
  maxzoom: number;
  /** Where its data lies, in projected units. */
  box: ProjectedBox;
}

export interface LayerReadResult {
  summary: LayerSummary;
  fields: Record<string, string>;
  box: ProjectedBox;
  partitions: PartitionInfo[];
  segments: [string, SpillSegment[]][];
}

const GEOMETRY_NAMES: Record<ProjectedGeometry['kind'], FilterGeometryType> = { 1: 'Point', 2: 'LineString', 3: 'Polygon' };

export function emptyBox(): ProjectedBox {
  return [Infinity, Infinity, -Infinity, -Infinity];
}

export function extendBox(box: ProjectedBox, part: ProjectedBox): void {
  if (part[0] < box[0]) box[0] = part[0];
  if (part[1] < box[1]) box[1] = part[1];
  if (part[2] > box[2]) box[2] = part[2];
  if (part[3] > box[3]) box[3] = part[3];
}

export async function readLayer(
  plan: BuildPlan,
  bands: Band[],
  layerIndex: number,
  spillFolder: string,
  open: (path: string) => Promise<FeatureSource>,
  onFeatures: (count: number) => void,
): Promise<LayerReadResult> {
  const layer = plan.layers[layerIndex];
  const spill = new PartitionSpill(spillFolder, layerIndex);
  const partitions = new Map<string, PartitionInfo>();
  const box = emptyBox();
  const summary: LayerSummary = { id: layer.id, featuresRead: 0, featuresSkipped: 0, featuresFiltered: 0, featuresWritten: 0, geometryTypes: [], problems: [] };
  const fieldTypes = new FieldTypes();
  const geometryTypes = new Set<FilterGeometryType>();
  const filter = layer.filter ? compileFilter(layer.filter) : undefined;
  const transform = compileAttributeRules(layer.attributes);
  // Deepest band first: each lower band simplifies the previous band's result, not the full-detail geometry.
  const layerBands = bands.filter((band) => band.start <= layer.maxzoom && band.end >= layer.minzoom).reverse();

  const placeRecord = (band: Band, x: number, y: number, record: Buffer, part: ProjectedBox) => {
    const key = `${band.start}/${x}/${y}`;
    spill.add(key, record);
    let info = partitions.get(key);
    if (!info) partitions.set(key, (info = { key, z: band.start, x, y, minzoom: band.start, maxzoom: band.end, box: emptyBox() }));
    extendBox(info.box, part);
  };

  // Descends the quadtree from the world tile to the band's first zoom, clipping only where a geometry spans
  // several children: every vertex is clipped once per level, not once per partition it touches; a column of
  // children shares its clip on x. Features are cut a little wider than their partition tile (twice the tile
  // buffer at that zoom), so geojson-vt sees everything any tile of the partition draws in its buffer.
  const distribute = (band: Band, minzoom: number, props: SpilledAttributes, geometry: ProjectedGeometry, part: ProjectedBox, z: number, x: number, y: number) => {
    if (z === band.start) {
      placeRecord(band, x, y, encodeRecord(layerIndex, minzoom, props, geometry), part);
      return;
    }
    const margin = (2 * plan.buffer) / EXTENT / 2 ** band.start;
    const childSize = 1 / 2 ** (z + 1);
    // What this step clips is encoded into records by its end: its room in the clip slabs is reused.
    openClipScope();
    // Each column's clip on x, made when a child of it first needs one (null: not yet; undefined: nothing left).
    const columns: (ProjectedGeometry | undefined | null)[] = [null, null];
    for (let child = 0; child < 4; child++) {
      const cx = 2 * x + (child & 1);
      const cy = 2 * y + (child >> 1);
      const clip: ProjectedBox = [cx * childSize - margin, cy * childSize - margin, (cx + 1) * childSize + margin, (cy + 1) * childSize + margin];
      if (part[2] < clip[0] || part[0] > clip[2] || part[3] < clip[1] || part[1] > clip[3]) continue;
      if (part[0] >= clip[0] && part[2] <= clip[2] && part[1] >= clip[1] && part[3] <= clip[3]) {
        distribute(band, minzoom, props, geometry, part, z + 1, cx, cy);
        continue;
      }
      let column = columns[child & 1];
      if (column === null) column = columns[child & 1] = clipStripe(geometry, clip[0], clip[2], 0);
      const clipped = column && clipStripe(column, clip[1], clip[3], 1);
      if (clipped) distribute(band, minzoom, props, clipped, geometryBox(clipped), z + 1, cx, cy);
    }
    closeClipScope();
  };

  // Most features fit one partition, and a point is never clipped: those skip the quadtree descent.
  const cut = (band: Band, minzoom: number, props: SpilledAttributes, geometry: ProjectedGeometry, part: ProjectedBox) => {
    const n = 2 ** band.start;
    const margin = (2 * plan.buffer) / EXTENT / n;
    // Partition tiles whose widened box touches the part; when there is one, the part lies inside it.
    const minX = Math.max(0, Math.floor((part[0] - margin) * n));
    const maxX = Math.min(n - 1, Math.floor((part[2] + margin) * n));
    const minY = Math.max(0, Math.floor((part[1] - margin) * n));
    const maxY = Math.min(n - 1, Math.floor((part[3] + margin) * n));
    const single = geometry.kind === 1 && geometry.points.length === 2;
    if (!single && (minX !== maxX || minY !== maxY)) {
      distribute(band, minzoom, props, geometry, part, 0, 0, 0);
      return;
    }
    const record = encodeRecord(layerIndex, minzoom, props, geometry);
    for (let x = minX; x <= maxX; x++) for (let y = minY; y <= maxY; y++) placeRecord(band, x, y, record, part);
  };

  const place = (band: Band, minzoom: number, props: SpilledAttributes, geometry: ProjectedGeometry, geometryBoxed: ProjectedBox) => {
    cut(band, minzoom, props, geometry, geometryBoxed);
    // Across the antimeridian: the partitions on the other edge of the world draw this in their buffers.
    // Only the copy's part beyond the world's edge: the rest would lie over the original (a partition holding
    // the whole copy drew it twice, as geojson-vt wraps it back: Antarctica twice in the bottom tiles of z1-2).
    // The world tile's copies reach as far as its buffer, as geojson-vt's own wrapping did (its tile is drawn
    // unclipped); deeper partitions take twice the tile buffer, as in `distribute`.
    const margin = band.start === 0 ? plan.buffer / EXTENT : (2 * plan.buffer) / EXTENT / 2 ** band.start;
    if (geometryBoxed[2] > 1 - margin) placeCopy(band, minzoom, props, shiftGeometry(geometry, -1), [-margin, -1, 0, 2]);
    if (geometryBoxed[0] < margin) placeCopy(band, minzoom, props, shiftGeometry(geometry, 1), [1, -1, 1 + margin, 2]);
  };
  const placeCopy = (band: Band, minzoom: number, props: SpilledAttributes, copy: ProjectedGeometry, strip: ProjectedBox) => {
    const clipped = clipGeometry(copy, strip);
    if (clipped) cut(band, minzoom, props, clipped, geometryBox(clipped));
  };
  // Douglas–Peucker weights down to the layer's maxzoom tolerance: finer points are drawn only at the maxzoom,
  // where geojson-vt draws every point.
  const sqFinest = (layer.tolerance / (EXTENT * 2 ** Math.min(layer.maxzoom, plan.maxzoom))) ** 2;
  const rank = layer.rank;
  const rankOf = (properties: Record<string, PropertyValue>): number => {
    if (!rank) return -Infinity;
    const value = properties[rank.field];
    // Higher is better inside PointSelection; a missing value is worst.
    if (typeof value !== 'number' || !Number.isFinite(value)) return -Infinity;
    return rank.order === 'desc' ? value : -value;
  };
  // Single points below the layer's maxzoom: one a cell, by rank or evenly (pointSelection.ts).
  const thinnedZooms: number[] = [];
  for (let z = Math.max(layer.minzoom, plan.minzoom); z < layer.maxzoom; z++) thinnedZooms.push(z);
  const selection = new PointSelection<PendingPoint>(thinnedZooms, (point, firstZoom) => {
    const from = Math.max(point.minzoom, firstZoom ?? layer.maxzoom);
    for (const band of layerBands) if (band.end >= from) place(band, from, point.props, point.geometry, point.box);
  });

  const onProblem = (problem: FeatureProblem) => {
    summary.featuresRead++;
    summary.featuresSkipped++;
    if (summary.problems.length < PROBLEM_EXAMPLES) summary.problems.push(problem);
    if (plan.strict) throw new InputError(`${problem.file}: ${problem.where}`, `${problem.reason} (--strict stops at any bad feature)`);
  };

  // --bbox in projected units (y grows southwards): parts are clipped to it before anything else sees them.
  const region: ProjectedBox | undefined = plan.bbox && [projectX(plan.bbox[0]), projectY(plan.bbox[3]), projectX(plan.bbox[2]), projectY(plan.bbox[1])];
  const inRegion = (part: ProjectedGeometry): ProjectedGeometry | undefined => {
    if (!region) return part;
    const box = geometryBox(part);
    if (box[2] < region[0] || box[0] > region[2] || box[3] < region[1] || box[1] > region[3]) return undefined;
    return box[0] >= region[0] && box[2] <= region[2] && box[1] >= region[1] && box[3] <= region[3] ? part : clipGeometry(part, region);
  };

  let unreported = 0;
  for (const path of layer.sources) {
    const source = await open(path);
    for await (const feature of source.features(onProblem)) {
      // What the last feature clipped is encoded into records by now (nothing awaits within a feature).
      rewindClipSlabs();
      summary.featuresRead++;
      if (++unreported === 1000) {
        onFeatures(unreported);
        unreported = 0;
      }
      const projected = projectGeometry(feature.geometry);
      if (projected.length === 0) {
        onProblem({ file: source.path, where: feature.where, reason: 'empty geometry' });
        continue;
      }
      const parts = region ? projected.map(inRegion).filter((part) => part !== undefined) : projected;
      if (parts.length === 0) {
        summary.featuresFiltered++;
        continue;
      }
      if (filter && !filter(feature.properties, GEOMETRY_NAMES[parts[0].kind])) {
        summary.featuresFiltered++;
        continue;
      }
      const properties = transform(feature.properties);
      const minzoom = featureMinzoom(layer, properties);
      if (minzoom > layer.maxzoom) {
        summary.featuresFiltered++;
        continue;
      }
      summary.featuresWritten++;
      fieldTypes.add(properties);
      const props: SpilledAttributes = { json: Buffer.from(JSON.stringify(properties)), id: feature.id };
      for (const part of parts) {
        geometryTypes.add(GEOMETRY_NAMES[part.kind]);
        const partBox = geometryBox(part);
        extendBox(box, partBox);
        if (part.kind === 1 && part.points.length === 2) {
          selection.offer(part.points[0], part.points[1], rankOf(properties), { minzoom, props, geometry: part, box: partBox });
          continue;
        }
        // Weighed whole, before any cut: every partition then simplifies its piece as the whole feature would be.
        let geometry: ProjectedGeometry | undefined = weighGeometry(part, sqFinest);
        let geometryBoxed = partBox;
        for (const band of layerBands) {
          if (band.sqTolerance && geometry) {
            const simpler = simplifyGeometry(geometry, band.sqTolerance[layerIndex]);
            if (simpler !== geometry) geometryBoxed = simpler ? geometryBox(simpler) : geometryBoxed;
            geometry = simpler;
          }
          if (!geometry) break;
          if (minzoom > band.end) continue;
          place(band, minzoom, props, geometry, geometryBoxed);
        }
      }
    }
  }
  // Points holding a cell wait for the end of the layer: a better one may still come for it.
  selection.finish();
  if (selection.thinned) summary.pointsThinned = selection.thinned;
  onFeatures(unreported);
  summary.geometryTypes = [...geometryTypes];
  return { summary, fields: fieldTypes.toRecord(), box, partitions: [...partitions.values()], segments: [...spill.finish().entries()] };
}

interface PendingPoint {
  minzoom: number;
  props: SpilledAttributes;
  geometry: ProjectedGeometry;
  box: ProjectedBox;
}

/** A feature's first zoom from the layer's zoomField (Natural Earth's fractional `min_zoom` shows from its floor). */
function featureMinzoom(layer: LayerPlan, properties: Record<string, PropertyValue>): number {
  if (!layer.zoomField) return 0;
  const value = properties[layer.zoomField];
  if (typeof value !== 'number' || !Number.isFinite(value)) return 0;
  return Math.max(0, Math.min(255, Math.floor(value)));
}
