// A geographic box given by a user (`W,S,E,N` in degrees): parsed and checked once, for every command and route.
import { InputError } from '../errors.js';
import { MAX_LATITUDE, type BBox } from './webMercator.js';

/**
 * Parses `W,S,E,N`: four finite numbers, west < east, south < north, longitudes within ±180 and latitudes
 * within Web Mercator's ±85.0511. `subject` names where the text came from (a flag, a query parameter).
 */
export function parseBBox(text: string | undefined, subject: string): BBox {
  if (text === undefined || text.trim() === '') throw new InputError(subject, 'expected W,S,E,N in degrees');
  const parts = text.split(',');
  const numbers = parts.map((part) => (part.trim() === '' ? NaN : Number(part)));
  if (numbers.length !== 4 || !numbers.every(Number.isFinite)) throw new InputError(subject, `expected four numbers W,S,E,N in degrees, got "${text}"`);
  const [west, south, east, north] = numbers;
  if (west < -180 || east > 180) throw new InputError(subject, `longitudes must be within -180..180, got "${text}"`);
  // Web Mercator tiles end at ±85.0511°; a little slack lets the usual rounded 85.06 through.
  if (south < -85.06 || north > 85.06) throw new InputError(subject, `latitudes must be within ±${MAX_LATITUDE.toFixed(4)}, got "${text}"`);
  if (west >= east) throw new InputError(subject, `west (${west}) must be less than east (${east})`);
  if (south >= north) throw new InputError(subject, `south (${south}) must be less than north (${north})`);
  return [west, Math.max(south, -MAX_LATITUDE), east, Math.min(north, MAX_LATITUDE)];
}

/** The part of `a` inside `b`, or undefined when they do not overlap. */
export function intersectBBox(a: BBox, b: BBox): BBox | undefined {
  const box: BBox = [Math.max(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.min(a[3], b[3])];
  return box[0] < box[2] && box[1] < box[3] ? box : undefined;
}

/** The smallest box holding both. */
export function unionBBox(a: BBox, b: BBox): BBox {
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
}
