import type { JsonRpcMessage } from '../jsonrpc/message.ts';
import type { ActionTable } from './actions.ts';
import type { Finding } from './finding.ts';
import type { Scanner } from './scanner.ts';

/** What one message's redaction found. Counts and JSON paths only: never a value. */
export interface RedactionEvidence {
  readonly counts: Record<string, number>;
  readonly paths: string[];
}

export interface RedactionResult extends RedactionEvidence {
  /** The same object when nothing changed (so the transport keeps the exact bytes). */
  readonly message: JsonRpcMessage;
  readonly changed: boolean;
  /** A finding whose action is `block`: the whole message must be withheld. */
  readonly blocked: boolean;
}

/** Arrays whose elements are content items that the `drop` action removes whole. */
const ITEM_ARRAYS = new Set(['content', 'contents', 'messages']);
/** Members of a JSON-RPC message that carry payload (not `jsonrpc`, `id`, `method`). */
const PAYLOAD_KEYS = ['params', 'result', 'error'] as const;
const MAX_PATHS = 256;
const DROP = Symbol('drop');
const SAFE_KEY = /^[A-Za-z_$][\w$]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

interface WalkState {
  readonly wanted: ReadonlySet<string> | undefined;
  readonly counts: Record<string, number>;
  readonly paths: string[];
  blocked: boolean;
  changed: boolean;
}

function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return SAFE_KEY.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** Sets an own property even for `__proto__`, which plain assignment would turn into a prototype. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/**
 * Walks one JSON-RPC message and redacts every string (and every integer long enough to be a card
 * number) in its payload: tool results, structured content, embedded resources, resource contents,
 * prompt messages, error messages and data, server→client request params. Object keys are scanned
 * too (a map keyed by email addresses or tokens leaks as much as its values). Copy on write: only
 * the objects on the path to a change are copied.
 */
export class MessageRedactor {
  readonly #scanner: Scanner;
  readonly #actions: ActionTable;
  readonly #scanBlobs: boolean;

  constructor(scanner: Scanner, actions: ActionTable, options: { scanBlobs: boolean }) {
    this.#scanner = scanner;
    this.#actions = actions;
    this.#scanBlobs = options.scanBlobs;
  }

  /** `wanted`: entity types to redact (undefined: every type the scanner knows). */
  redact(message: JsonRpcMessage, wanted: ReadonlySet<string> | undefined): RedactionResult {
    const state: WalkState = { wanted, counts: {}, paths: [], blocked: false, changed: false };
    let out: Record<string, unknown> | undefined;
    const source = message as unknown as Record<string, unknown>;
    for (const key of PAYLOAD_KEYS) {
      if (!(key in source)) continue;
      const before = source[key];
      const after = this.#walk(before, `$.${key}`, false, state);
      if (after !== before) {
        out ??= { ...source };
        out[key] = after === DROP ? null : after;
      }
    }
    const changed = out !== undefined;
    return { message: (out ?? message) as unknown as JsonRpcMessage, changed, blocked: state.blocked, counts: state.counts, paths: state.paths };
  }

  #record(findings: readonly Finding[], path: string, state: WalkState): { drop: boolean } {
    let drop = false;
    for (const f of findings) {
      state.counts[f.type] = (state.counts[f.type] ?? 0) + 1;
      const action = this.#actions.actionFor(f.type);
      if (action === 'block') state.blocked = true;
      else if (action === 'drop') drop = true;
    }
    if (state.paths.length < MAX_PATHS) state.paths.push(path);
    return { drop };
  }

  #redactString(text: string, path: string, inItem: boolean, state: WalkState): string | typeof DROP {
    const findings = this.#scanner.scan(text, state.wanted);
    if (findings.length === 0) return text;
    const { drop } = this.#record(findings, path, state);
    if (drop && inItem) return DROP;
    return this.#actions.apply(text, findings);
  }

  #walk(value: unknown, path: string, inItem: boolean, state: WalkState): unknown {
    if (typeof value === 'string') return this.#redactString(value, path, inItem, state);
    if (typeof value === 'number') {
      // A card number or phone number sent as a JSON number is still one.
      if (!Number.isSafeInteger(value) || Math.abs(value) < 1e6) return value;
      const text = String(value);
      const r = this.#redactString(text, path, inItem, state);
      return r === text ? value : r;
    }
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) return this.#walkArray(value, path, inItem, state);
    return this.#walkObject(value as Record<string, unknown>, path, inItem, state);
  }

  #walkArray(arr: readonly unknown[], path: string, inItem: boolean, state: WalkState): unknown {
    const items = ITEM_ARRAYS.has(path.slice(path.lastIndexOf('.') + 1));
    let out: unknown[] | undefined;
    for (let i = 0; i < arr.length; i++) {
      const before = arr[i];
      const after = this.#walk(before, childPath(path, i), inItem || items, state);
      if (after === DROP && !items) return DROP; // the enclosing item goes
      if (after !== before && out === undefined) out = arr.slice(0, i);
      if (out !== undefined && after !== DROP) out.push(after);
    }
    return out ?? arr;
  }

  #walkObject(obj: Record<string, unknown>, path: string, inItem: boolean, state: WalkState): unknown {
    let out: Record<string, unknown> | undefined;
    const keys = Object.keys(obj);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const before = obj[key];
      let newKey = key;
      if (key.length >= 6) {
        const k = this.#redactString(key, `${path}{key}`, inItem, state);
        if (k === DROP) return DROP;
        if (k !== key) newKey = k in obj || (out !== undefined && k in out) ? `${k}#${i}` : k;
      }
      const p = childPath(path, newKey);
      let after: unknown;
      if (typeof before === 'string' && this.#isBlob(obj, key)) after = this.#scanBlobs ? this.#redactBlob(before, p, inItem, state) : before;
      else after = this.#walk(before, p, inItem, state);
      if (after === DROP) return DROP;
      if ((after !== before || newKey !== key) && out === undefined) {
        out = {};
        for (let j = 0; j < i; j++) setOwn(out, keys[j] as string, obj[keys[j] as string]);
      }
      if (out !== undefined) setOwn(out, newKey, after);
    }
    return out ?? obj;
  }

  /** Base64 payloads: resource `blob`, image/audio content `data`. */
  #isBlob(obj: Record<string, unknown>, key: string): boolean {
    if (key === 'blob') return true;
    return key === 'data' && (obj.type === 'image' || obj.type === 'audio');
  }

  /** With scan_blobs: a blob that decodes to UTF-8 text is scanned and, if changed, re-encoded. */
  #redactBlob(b64: string, path: string, inItem: boolean, state: WalkState): unknown {
    let text: string;
    try {
      text = utf8.decode(Buffer.from(b64, 'base64'));
    } catch {
      return b64; // binary (an image): nothing a text detector could read
    }
    const r = this.#redactString(text, path, inItem, state);
    if (r === DROP) return DROP;
    return r === text ? b64 : Buffer.from(r, 'utf8').toString('base64');
  }
}
