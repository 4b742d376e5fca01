import { globMatch, isGlob } from './glob.ts';

export type ToolClass = 'read' | 'write' | 'unknown';
export type ToolRule = 'read' | 'write' | 'deny';
/** approved: matches its pin; changed: differs from its pin (rug pull?); unlisted: never seen in a tools/list reply. */
export type DefinitionStatus = 'approved' | 'changed' | 'unlisted';

const STRICTNESS: Record<ToolRule, number> = { read: 0, write: 1, deny: 2 };

function ruleMap(value: unknown): [string, ToolRule][] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.entries(value).filter((e): e is [string, ToolRule] => e[1] === 'read' || e[1] === 'write' || e[1] === 'deny');
}

/**
 * Operator rules from policy.data (`tools` and `upstreams.<name>.tools`), read the way the default
 * policy reads them: the first level with a match wins (upstream exact, upstream glob, global exact,
 * global glob) and within a level the strictest verdict wins. Compiled once per data set.
 */
export class ToolClassifier {
  readonly #global: { exact: Map<string, ToolRule>; globs: [string, ToolRule][] };
  readonly #perUpstream = new Map<string, { exact: Map<string, ToolRule>; globs: [string, ToolRule][] }>();

  constructor(data: Readonly<Record<string, unknown>>) {
    this.#global = compile(ruleMap(data.tools));
    const upstreams = data.upstreams;
    if (typeof upstreams === 'object' && upstreams !== null) {
      for (const [name, cfg] of Object.entries(upstreams)) this.#perUpstream.set(name, compile(ruleMap((cfg as { tools?: unknown } | null)?.tools)));
    }
  }

  operatorRule(upstream: string, name: string): ToolRule | undefined {
    const levels = [this.#perUpstream.get(upstream), this.#global];
    for (const level of levels) {
      if (level === undefined) continue;
      const exact = level.exact.get(name);
      if (exact !== undefined) return exact;
      let best: ToolRule | undefined;
      for (const [pattern, rule] of level.globs) if (globMatch(pattern, name) && (best === undefined || STRICTNESS[rule] > STRICTNESS[best])) best = rule;
      if (best !== undefined) return best;
    }
    return undefined;
  }

  /**
   * A changed definition is unknown whatever the rules say (rug-pull protection); otherwise the
   * operator's read/write wins; otherwise only `readOnlyHint: true` makes a tool read; a tool never
   * listed is unknown. Unknown is treated as a write by the default policy.
   */
  classify(upstream: string, name: string, annotations: unknown, definition: DefinitionStatus): ToolClass {
    if (definition === 'changed') return 'unknown';
    const rule = this.operatorRule(upstream, name);
    if (rule === 'read' || rule === 'write') return rule;
    if (definition === 'unlisted') return 'unknown';
    return typeof annotations === 'object' && annotations !== null && (annotations as { readOnlyHint?: unknown }).readOnlyHint === true ? 'read' : 'write';
  }
}

function compile(rules: [string, ToolRule][]): { exact: Map<string, ToolRule>; globs: [string, ToolRule][] } {
  const exact = new Map<string, ToolRule>();
  const globs: [string, ToolRule][] = [];
  for (const [pattern, rule] of rules) {
    if (isGlob(pattern)) globs.push([pattern, rule]);
    else exact.set(pattern, rule);
  }
  return { exact, globs };
}
