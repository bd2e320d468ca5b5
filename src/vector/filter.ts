// Feature filters in the MapLibre legacy filter language (plus `["get", key]` operands), compiled once per layer.
import type { PropertyValue } from '../sources/types.js';

export type FilterExpression = unknown[];

/** `Point`, `LineString` or `Polygon`: what `$type` compares against, as in MapLibre. */
export type FilterGeometryType = 'Point' | 'LineString' | 'Polygon';

export type FeatureFilter = (properties: Record<string, PropertyValue>, geometryType: FilterGeometryType) => boolean;

/** A filter that cannot be compiled; `path` locates the bad part inside the expression (`[2][1]`). */
export class FilterSyntaxError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(reason);
  }
}

type Operand = (properties: Record<string, PropertyValue>, geometryType: FilterGeometryType) => PropertyValue | undefined;

const COMPARISONS = ['==', '!=', '<', '<=', '>', '>='] as const;

export function compileFilter(expression: unknown): FeatureFilter {
  return compile(expression, '');
}

function compile(expression: unknown, path: string): FeatureFilter {
  if (!Array.isArray(expression) || expression.length === 0 || typeof expression[0] !== 'string') {
    throw new FilterSyntaxError(path, 'a filter is an array starting with an operator, e.g. ["==", "field", 1]');
  }
  const [operator, ...args] = expression as [string, ...unknown[]];
  const argPath = (i: number) => `${path}[${i + 1}]`;
  switch (operator) {
    case 'all':
    case 'any':
    case 'none': {
      const parts = args.map((arg, i) => compile(arg, argPath(i)));
      if (operator === 'all') return (p, g) => parts.every((part) => part(p, g));
      if (operator === 'any') return (p, g) => parts.some((part) => part(p, g));
      return (p, g) => !parts.some((part) => part(p, g));
    }
    case '!': {
      if (args.length !== 1) throw new FilterSyntaxError(path, '"!" takes exactly one filter');
      const inner = compile(args[0], argPath(0));
      return (p, g) => !inner(p, g);
    }
    case 'has':
    case '!has': {
      if (args.length !== 1 || typeof args[0] !== 'string') throw new FilterSyntaxError(path, `"${operator}" takes one attribute name`);
      const key = args[0];
      const has: FeatureFilter = (p) => p[key] !== undefined && p[key] !== null;
      return operator === 'has' ? has : (p, g) => !has(p, g);
    }
    case 'in':
    case '!in': {
      if (args.length < 1) throw new FilterSyntaxError(path, `"${operator}" takes an attribute and values`);
      const operand = compileOperand(args[0], argPath(0));
      const values = new Set(args.slice(1).map((value, i) => literal(value, argPath(i + 1))));
      const inside: FeatureFilter = (p, g) => {
        const value = operand(p, g);
        return value !== undefined && values.has(value);
      };
      return operator === 'in' ? inside : (p, g) => !inside(p, g);
    }
    default:
      if ((COMPARISONS as readonly string[]).includes(operator)) {
        if (args.length !== 2) throw new FilterSyntaxError(path, `"${operator}" takes an attribute and a value`);
        return comparison(operator as (typeof COMPARISONS)[number], compileOperand(args[0], argPath(0)), compileOperand(args[1], argPath(1), true));
      }
      throw new FilterSyntaxError(path, `unknown filter operator "${operator}"`);
  }
}

/** An attribute name (`"pop"`, `"$type"`), `["get", name]`, or (on the right side) a literal. */
function compileOperand(operand: unknown, path: string, literalAllowed = false): Operand {
  if (Array.isArray(operand)) {
    if (operand[0] === 'get' && operand.length === 2 && typeof operand[1] === 'string') {
      const key = operand[1];
      return (p) => p[key];
    }
    if (operand[0] === 'geometry-type' && operand.length === 1) return (_p, g) => g;
    if (operand[0] === 'literal' && operand.length === 2) {
      const value = literal(operand[1], path);
      return () => value;
    }
    throw new FilterSyntaxError(path, 'expected an attribute name, ["get", name], ["geometry-type"] or a value');
  }
  if (literalAllowed) {
    const value = literal(operand, path);
    return () => value;
  }
  if (typeof operand !== 'string') throw new FilterSyntaxError(path, 'expected an attribute name');
  if (operand === '$type') return (_p, g) => g;
  return (p) => p[operand];
}

function literal(value: unknown, path: string): PropertyValue {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  throw new FilterSyntaxError(path, 'expected a string, number, boolean or null');
}

function comparison(operator: (typeof COMPARISONS)[number], left: Operand, right: Operand): FeatureFilter {
  return (p, g) => {
    const a = left(p, g) ?? null;
    const b = right(p, g) ?? null;
    switch (operator) {
      case '==':
        return a === b;
      case '!=':
        return a !== b;
      default: {
        // Ordering only between values of one type, as MapLibre does: "10" is not > 9.
        if (a === null || b === null || typeof a !== typeof b) return false;
        if (operator === '<') return a < b;
        if (operator === '<=') return a <= b;
        if (operator === '>') return a > b;
        return a >= b;
      }
    }
  };
}
