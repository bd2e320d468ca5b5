// What a vector build did, as data (for tests and callers) and as the lines the CLI prints at the end.
import type { FeatureProblem } from '../sources/types.js';
import { formatDuration } from '../progress.js';

export interface LayerSummary {
  id: string;
  /** Features the sources yielded or reported as bad. */
  featuresRead: number;
  /** Bad features (null or invalid geometry, bad coordinates, …), skipped. */
  featuresSkipped: number;
  /** Features the layer's filter left out. */
  featuresFiltered: number;
  /** Features that went into tiles. */
  featuresWritten: number;
  geometryTypes: string[];
  /** Single points shown only at the layer's maxzoom: below it their cell showed a better one (pointSelection.ts). */
  pointsThinned?: number;
  /** The first few problems, for the report. */
  problems: FeatureProblem[];
}

export interface BuildSummary {
  output: string;
  layers: LayerSummary[];
  tilesPerZoom: { zoom: number; tiles: number }[];
  tilesWritten: number;
  uniqueTiles: number;
  /** Tiles that were over the size budget and were reduced to fit. */
  tilesReduced: number;
  /** Features dropped from reduced tiles (counted once per tile). */
  featuresDropped: number;
  /** Tiles that not even one feature of fitted in the budget: left out. */
  tilesLeftOut: number;
  partitions: number;
  partitionZoom: number;
  archiveBytes: number;
  seconds: number;
}

export const PROBLEM_EXAMPLES = 5;

export function formatSummary(summary: BuildSummary, formatBytes: (bytes: number) => string): string[] {
  const lines = [`built ${summary.output} in ${formatDuration(summary.seconds)}`];
  for (const layer of summary.layers) {
    const parts = [`${layer.featuresRead} read`, `${layer.featuresWritten} tiled`];
    if (layer.featuresSkipped) parts.push(`${layer.featuresSkipped} skipped`);
    if (layer.featuresFiltered) parts.push(`${layer.featuresFiltered} filtered out`);
    if (layer.pointsThinned) parts.push(`${layer.pointsThinned} points shown only from the maxzoom (thinned below it)`);
    lines.push(`  layer ${layer.id} (${layer.geometryTypes.join(', ') || 'empty'}): ${parts.join(', ')}`);
    for (const problem of layer.problems) lines.push(`    skipped ${problem.file}: ${problem.where}: ${problem.reason}`);
    if (layer.featuresSkipped > layer.problems.length) lines.push(`    … and ${layer.featuresSkipped - layer.problems.length} more`);
  }
  lines.push(`  tiles per zoom: ${summary.tilesPerZoom.map(({ zoom, tiles }) => `z${zoom} ${tiles}`).join(', ') || 'none'}`);
  lines.push(`  work cut into ${summary.partitions} partitions (the deepest at zoom ${summary.partitionZoom})`);
  lines.push(`  tiles written ${summary.tilesWritten}, unique ${summary.uniqueTiles}, archive ${formatBytes(summary.archiveBytes)}`);
  if (summary.tilesReduced) {
    const one = summary.tilesReduced === 1;
    lines.push(`  ${summary.tilesReduced} ${one ? 'tile was' : 'tiles were'} over the size budget and reduced (${summary.featuresDropped} features dropped)`);
  }
  if (summary.tilesLeftOut) {
    const one = summary.tilesLeftOut === 1;
    lines.push(`  ${summary.tilesLeftOut} ${one ? 'tile' : 'tiles'} could not fit even one feature in the budget and ${one ? 'was' : 'were'} left out`);
  }
  return lines;
}
