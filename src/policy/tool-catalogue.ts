import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { AuditPort } from '../pipeline/audit-port.ts';
import type { Principal } from '../pipeline/principal.ts';
import type { StateStore } from '../state/state-store.ts';
import { canonicalJson } from './canonical-json.ts';
import type { DefinitionStatus } from './tool-classifier.ts';
import { toolDefinitionChangesTotal } from './policy-metrics.ts';

/** One tool as last seen in a tools/list reply from an upstream. */
export interface CatalogueEntry {
  readonly name: string;
  readonly fingerprint: string;
  readonly annotations: Readonly<Record<string, unknown>> | undefined;
}

/** What `pin:<upstream>:<tool>` holds: the approved definition's fingerprint. */
interface PinRecord {
  readonly fingerprint: string;
  readonly approved_by: string;
  readonly approved_at: string;
}

/** sha256 over the canonical JSON of name, description, input schema and annotations. */
export function toolFingerprint(tool: Readonly<Record<string, unknown>>): string {
  const definition = { name: tool.name ?? null, description: tool.description ?? null, inputSchema: tool.inputSchema ?? null, annotations: tool.annotations ?? null };
  return createHash('sha256').update(canonicalJson(definition)).digest('hex');
}

/**
 * Per-upstream catalogue of the tools the proxy has seen listed, and tool pinning: the first
 * definition seen is pinned in the StateStore (`pin:<upstream>:<tool>`); a later, different one is
 * `changed` (refused by the default policy until an admin re-approves it) and audited once.
 */
export class ToolCatalogue {
  readonly #state: StateStore;
  readonly #audit: AuditPort;
  readonly #logger: Logger;
  readonly #entries = new Map<string, Map<string, CatalogueEntry>>();
  readonly #reported = new Set<string>();

  constructor(state: StateStore, audit: AuditPort, logger: Logger) {
    this.#state = state;
    this.#audit = audit;
    this.#logger = logger;
  }

  lookup(upstream: string, name: string): CatalogueEntry | undefined {
    return this.#entries.get(upstream)?.get(name);
  }

  /** Records the tools of one tools/list reply page; returns each listed tool's definition status. */
  async observe(upstream: string, tools: readonly Readonly<Record<string, unknown>>[]): Promise<Map<string, DefinitionStatus>> {
    let byName = this.#entries.get(upstream);
    if (byName === undefined) this.#entries.set(upstream, (byName = new Map()));
    const statuses = new Map<string, DefinitionStatus>();
    for (const tool of tools) {
      if (typeof tool.name !== 'string') continue;
      const annotations = typeof tool.annotations === 'object' && tool.annotations !== null && !Array.isArray(tool.annotations) ? (tool.annotations as Record<string, unknown>) : undefined;
      const entry: CatalogueEntry = { name: tool.name, fingerprint: toolFingerprint(tool), annotations };
      byName.set(tool.name, entry);
      const record: PinRecord = { fingerprint: entry.fingerprint, approved_by: 'first-sight', approved_at: new Date().toISOString() };
      const first = await this.#state.setIfAbsent(pinKey(upstream, tool.name), JSON.stringify(record));
      statuses.set(tool.name, first ? 'approved' : await this.status(upstream, tool.name));
    }
    return statuses;
  }

  /** The definition status of a tool as this replica last saw it listed. */
  async status(upstream: string, name: string): Promise<DefinitionStatus> {
    const entry = this.lookup(upstream, name);
    if (entry === undefined) return 'unlisted';
    const pin = await this.#pin(upstream, name);
    if (pin === undefined) return 'changed'; // a catalogued tool always has a pin; a lost one is not trusted
    if (pin.fingerprint === entry.fingerprint) return 'approved';
    this.#reportChange(upstream, name, pin, entry);
    return 'changed';
  }

  async #pin(upstream: string, name: string): Promise<PinRecord | undefined> {
    const raw = await this.#state.get(pinKey(upstream, name));
    if (raw === undefined) return undefined;
    try {
      return JSON.parse(raw) as PinRecord;
    } catch {
      return undefined;
    }
  }

  #reportChange(upstream: string, name: string, pin: PinRecord, entry: CatalogueEntry): void {
    const key = `${upstream}\u0000${name}\u0000${entry.fingerprint}`;
    if (this.#reported.has(key)) return;
    if (this.#reported.size > 10_000) this.#reported.clear();
    this.#reported.add(key);
    toolDefinitionChangesTotal.inc({ upstream });
    this.#logger.warn({ upstream, tool: name, pinned: pin.fingerprint.slice(0, 16), seen: entry.fingerprint.slice(0, 16) }, 'tool definition changed since it was pinned; refused until an admin re-approves it');
    this.#audit.record({
      type: 'policy.tool_definition_changed',
      outcome: 'failure',
      message: `tool ${name} on ${upstream} changed its definition; refused until re-approved`,
      upstream,
      details: { tool: name, pinned_fingerprint: pin.fingerprint, seen_fingerprint: entry.fingerprint, pinned_by: pin.approved_by, pinned_at: pin.approved_at },
    });
  }

  /** Pins the currently listed definition (admin re-approval). False when the tool was never listed here. */
  async approve(upstream: string, name: string, admin: Principal): Promise<boolean> {
    const entry = this.lookup(upstream, name);
    if (entry === undefined) return false;
    const previous = await this.#pin(upstream, name);
    const record: PinRecord = { fingerprint: entry.fingerprint, approved_by: `${admin.auth}:${admin.id}`, approved_at: new Date().toISOString() };
    await this.#state.set(pinKey(upstream, name), JSON.stringify(record));
    this.#audit.record({
      type: 'policy.tool_definition_changed',
      outcome: 'success',
      message: `tool ${name} on ${upstream} re-approved with its current definition`,
      principal: admin,
      upstream,
      details: { tool: name, approved_fingerprint: entry.fingerprint, previous_fingerprint: previous?.fingerprint ?? null },
    });
    return true;
  }

  /** Admin listing: every catalogued tool of an upstream with its status. */
  async list(upstream: string): Promise<{ name: string; status: DefinitionStatus; fingerprint: string; annotations: unknown }[]> {
    const out = [];
    for (const entry of this.#entries.get(upstream)?.values() ?? []) {
      out.push({ name: entry.name, status: await this.status(upstream, entry.name), fingerprint: entry.fingerprint, annotations: entry.annotations ?? null });
    }
    return out;
  }
}

function pinKey(upstream: string, tool: string): string {
  return `pin:${upstream}:${tool}`;
}
