/**
 * `${env:NAME}` (and other `${kind:NAME}` references, e.g. `${secret:NAME}` from authn/) in string
 * values. A reference to something missing is an error naming it, never an empty string: an
 * unset variable must not silently become an empty password or an open allowlist.
 */
export type ReferenceResolver = (name: string) => string | undefined;

const REFERENCE = /\$\{([a-z]+):([A-Za-z0-9_.-]+)\}/g;

export function substituteReferences(value: unknown, resolvers: Record<string, ReferenceResolver>, path = ''): unknown {
  const all: Record<string, ReferenceResolver> = { env: (name) => process.env[name], ...resolvers };
  const walk = (v: unknown, p: string): unknown => {
    if (typeof v === 'string') {
      return v.replace(REFERENCE, (_match, kind: string, name: string) => {
        const resolve = all[kind];
        if (resolve === undefined) throw new Error(`${p || '(top level)'}: unknown reference kind '\${${kind}:…}'`);
        const resolved = resolve(name);
        if (resolved === undefined) throw new Error(`${p || '(top level)'}: \${${kind}:${name}} is not set`);
        return resolved;
      });
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${p}[${i}]`));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[k] = walk(item, p === '' ? k : `${p}.${k}`);
      return out;
    }
    return v;
  };
  return walk(value, path);
}
