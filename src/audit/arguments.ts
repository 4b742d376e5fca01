import { canonicalJson, sha256Hex } from './canonical-json.ts';

/**
 * What an audit event may say about a message's arguments (DESIGN.md invariant 7): by default only
 * a SHA-256 digest of their canonical JSON; when configured, the arguments too, after redaction.
 */
export function argumentsOf(params: unknown): unknown {
  if (params === null || typeof params !== 'object') return undefined;
  if (Array.isArray(params)) return params.length === 0 ? undefined : params;
  const p = params as Record<string, unknown>;
  if ('arguments' in p) return p.arguments;
  // Other methods: everything but the protocol's own _meta (progress tokens and the like).
  const rest: Record<string, unknown> = {};
  let any = false;
  for (const [k, v] of Object.entries(p)) {
    if (k === '_meta') continue;
    rest[k] = v;
    any = true;
  }
  return any ? rest : undefined;
}

export function argumentsDigest(args: unknown): string | undefined {
  return args === undefined ? undefined : `sha256:${sha256Hex(canonicalJson(args))}`;
}

/** Keys whose values are always secrets, whatever they look like. */
const SECRET_KEY = /pass(word|wd|phrase)?|secret|token|api[-_]?key|authori[sz]ation|cookie|credential|private[-_]?key|session[-_]?id|^auth$/i;

/** Values that look like secrets or personal data, by type. Conservative: false positives are fine. */
const VALUE_PATTERNS: readonly (readonly [string, RegExp])[] = [
  ['PRIVATE_KEY', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['JWT', /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/],
  ['BEARER', /\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/i],
  ['EMAIL_ADDRESS', /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/],
  ['CREDIT_CARD', /\b(?:\d[ -]?){13,19}\b/],
  ['IBAN_CODE', /\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b/],
  ['US_SSN', /\b\d{3}-\d{2}-\d{4}\b/],
  ['API_KEY', /\b(?:sk|pk|ghp|gho|xox[abp]|AKIA)[A-Za-z0-9_-]{12,}\b/],
  ['HIGH_ENTROPY', /\b[A-Za-z0-9+/_-]{32,}={0,2}\b/],
];

/**
 * Redacts a copy of `value`: secret-named keys lose their value, strings that match a pattern are
 * replaced by `[REDACTED:TYPE]`. Counts by type go into `counts`. Depth is bounded.
 */
export function redactArguments(value: unknown, counts: Record<string, number> = {}, depth = 0): unknown {
  if (depth > 32) return '[REDACTED:DEPTH]';
  if (typeof value === 'string') {
    for (const [type, re] of VALUE_PATTERNS) {
      if (re.test(value)) {
        counts[type] = (counts[type] ?? 0) + 1;
        return `[REDACTED:${type}]`;
      }
    }
    return value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactArguments(v, counts, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (SECRET_KEY.test(k) && v !== null && typeof v !== 'boolean') {
      counts.SECRET = (counts.SECRET ?? 0) + 1;
      out[k] = '[REDACTED:SECRET]';
    } else out[k] = redactArguments(v, counts, depth + 1);
  }
  return out;
}
