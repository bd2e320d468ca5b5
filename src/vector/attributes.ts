// Applies a layer's keep/drop/rename rules to a feature's attributes, and records the field types a layer carries.
import type { FieldType } from '../archive/types.js';
import type { PropertyValue } from '../sources/types.js';
import type { AttributeRules } from './plan.js';

export type AttributeTransform = (properties: Record<string, PropertyValue>) => Record<string, PropertyValue>;

export function compileAttributeRules(rules: AttributeRules): AttributeTransform {
  const keep = rules.keep ? new Set(rules.keep) : undefined;
  const drop = new Set(rules.drop ?? []);
  const rename = rules.rename ?? {};
  if (!keep && drop.size === 0 && Object.keys(rename).length === 0) return (properties) => properties;
  return (properties) => {
    const result: Record<string, PropertyValue> = {};
    for (const key in properties) {
      if ((keep && !keep.has(key)) || drop.has(key)) continue;
      result[Object.hasOwn(rename, key) ? rename[key] : key] = properties[key];
    }
    return result;
  };
}

/** Field name → type over all features of a layer; a field seen with two types is `Mixed` (as tippecanoe says). */
export class FieldTypes {
  private readonly types = new Map<string, FieldType | 'Mixed'>();

  add(properties: Record<string, PropertyValue>): void {
    for (const key in properties) {
      const value = properties[key];
      if (value === null) continue;
      const type: FieldType = typeof value === 'number' ? 'Number' : typeof value === 'boolean' ? 'Boolean' : 'String';
      const known = this.types.get(key);
      if (known === undefined) this.types.set(key, type);
      else if (known !== type) this.types.set(key, 'Mixed');
    }
  }

  toRecord(): Record<string, string> {
    return Object.fromEntries([...this.types.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}
