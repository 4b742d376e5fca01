import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Builds a JSON Schema (draft 2020-12) for OCSF 1.8.0 API Activity (class 6003) from the OCSF
 * schema files in ../shared/data/ocsf-1.8.0 (dictionary, base_event → application → api_activity,
 * the objects and profiles present). What it enforces, for the event and every nested object:
 * - only attributes the class/object defines (additionalProperties: false), except `unmapped`;
 * - `requirement: required` attributes are present;
 * - types from the dictionary (string_t, integer_t, long_t, timestamp_t, port_t range, ip_t and
 *   uuid_t patterns, boolean_t, float_t, json_t, arrays for is_array);
 * - enums (the merged enum of the extends chain, e.g. activity_id 0,1,2,3,4,99);
 * - `at_least_one` constraints (anyOf required).
 * An object type whose definition is not in the shared files is schema `false`: emitting such an
 * attribute fails validation, so nothing in an event goes unvalidated.
 */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const OCSF_DIR = resolve(process.cwd(), '../shared/data/ocsf-1.8.0');

export function requireOcsf(): string {
  if (!existsSync(join(OCSF_DIR, 'dictionary.json')))
    throw new Error(`OCSF 1.8.0 schema files are missing at ${OCSF_DIR} (expected ../shared/data/ocsf-1.8.0 relative to the repo root)`);
  return OCSF_DIR;
}

const read = (dir: string, rel: string): Json | undefined => {
  const p = join(dir, rel);
  if (!existsSync(p)) return undefined;
  const text = readFileSync(p, 'utf8');
  return text.trim() === '' ? undefined : (JSON.parse(text) as Json);
};

export function buildApiActivitySchema(): { schema: Json; missingObjects: Set<string> } {
  const dir = requireOcsf();
  const dict = read(dir, 'dictionary.json') as Json;
  const types: Json = dict.types.attributes;
  const dictAttrs: Json = dict.attributes;
  const missingObjects = new Set<string>();
  const defs: Json = {};

  const scalar = (t: string, attrName: string): Json => {
    const seen = new Set<string>();
    let cur = t;
    const out: Json = {};
    while (!seen.has(cur)) {
      seen.add(cur);
      const spec = types[cur] as Json | undefined;
      if (spec === undefined) throw new Error(`unknown OCSF type ${cur} (attribute ${attrName})`);
      if (spec.regex !== undefined && out.pattern === undefined) out.pattern = spec.regex;
      if (Array.isArray(spec.range)) {
        out.minimum = spec.range[0];
        out.maximum = spec.range[1];
      }
      if (spec.max_len !== undefined) out.maxLength = spec.max_len;
      if (spec.type === undefined) break;
      cur = spec.type;
    }
    const base: Record<string, Json> = {
      string_t: { type: 'string' }, integer_t: { type: 'integer' }, long_t: { type: 'integer' }, float_t: { type: 'number' },
      boolean_t: { type: 'boolean' }, json_t: {}, bytestring_t: { type: 'string' },
    };
    const b = base[cur];
    if (b === undefined) throw new Error(`no JSON type for OCSF base type ${cur}`);
    return { ...b, ...out };
  };

  const loadWithExtends = (kind: 'objects' | 'events', name: string, file?: string): Json | undefined => {
    const own = read(dir, file ?? `${kind}/${name}.json`);
    if (own === undefined) return undefined;
    const parentName = own.extends as string | undefined;
    let parent: Json | undefined;
    if (parentName !== undefined && parentName !== 'object') parent = kind === 'objects' ? loadWithExtends('objects', parentName) : loadWithExtends('events', parentName, parentName === 'base_event' ? 'events/base_event.json' : `events/application/${parentName}.json`);
    const attrs: Json = {};
    const merge = (from: Json) => {
      for (const [k, v] of Object.entries(from)) {
        if (k === '$include') {
          for (const inc of v as string[]) {
            const prof = read(dir, inc);
            if (prof !== undefined) merge(prof.attributes as Json);
          }
          continue;
        }
        const prev = attrs[k] ?? {};
        const enumMerged = prev.enum !== undefined || (v as Json).enum !== undefined ? { ...(prev.enum ?? {}), ...((v as Json).enum ?? {}) } : undefined;
        attrs[k] = { ...prev, ...(v as Json), ...(enumMerged !== undefined ? { enum: enumMerged } : {}) };
      }
    };
    if (parent !== undefined) merge(parent.attributes);
    merge(own.attributes ?? {});
    return { ...own, attributes: attrs, constraints: own.constraints ?? parent?.constraints };
  };

  const attributeSchema = (name: string, local: Json): Json => {
    const d = dictAttrs[name] as Json | undefined;
    if (d === undefined) throw new Error(`attribute ${name} is not in the OCSF dictionary`);
    const t: string = local.type ?? d.type;
    let s: Json;
    if (t.endsWith('_t')) s = scalar(t, name);
    else if (t === 'object') s = { type: 'object' };
    else s = objectRef(t);
    const en = { ...(d.enum ?? {}), ...(local.enum ?? {}) };
    if (Object.keys(en).length > 0 && t.endsWith('_t')) s = { ...s, enum: Object.keys(en).map((k) => (s.type === 'integer' ? Number(k) : k)) };
    return d.is_array === true ? { type: 'array', items: s } : s;
  };

  const objectRef = (name: string): Json => {
    if (defs[name] !== undefined) return { $ref: `#/$defs/${name}` };
    const obj = loadWithExtends('objects', name);
    if (obj === undefined) {
      missingObjects.add(name);
      return false as unknown as Json;
    }
    defs[name] = {}; // placeholder for recursion
    defs[name] = objectSchema(obj);
    return { $ref: `#/$defs/${name}` };
  };

  const objectSchema = (obj: Json): Json => {
    const properties: Json = {};
    const required: string[] = [];
    for (const [k, v] of Object.entries(obj.attributes as Json)) {
      properties[k] = attributeSchema(k, v as Json);
      if ((v as Json).requirement === 'required') required.push(k);
    }
    const s: Json = { type: 'object', properties, required, additionalProperties: false };
    const one = obj.constraints?.at_least_one as string[] | undefined;
    if (one !== undefined) s.anyOf = one.map((k) => ({ required: [k] }));
    return s;
  };

  const cls = loadWithExtends('events', 'api_activity', 'events/application/api_activity.json') as Json;
  const schema = objectSchema(cls);
  schema.properties.class_uid = { const: 6003 };
  schema.properties.category_uid = { const: 6 };
  schema.$defs = defs;
  schema.$schema = 'https://json-schema.org/draft/2020-12/schema';
  return { schema, missingObjects };
}
