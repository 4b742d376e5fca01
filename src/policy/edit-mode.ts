import type { Logger } from 'pino';
import type { AuditPort } from '../pipeline/audit-port.ts';
import type { Principal } from '../pipeline/principal.ts';
import type { StateStore } from '../state/state-store.ts';
import { editModeGauge } from './policy-metrics.ts';

/** What `edit:<upstream>` holds in the StateStore while edit mode is on. */
interface EditRecord {
  readonly enabled_by: string;
  readonly enabled_at: number;
  readonly expires_at: number;
  readonly minutes: number;
}

export interface EditModeStatus {
  readonly upstream: string;
  readonly edit: boolean;
  /** Epoch milliseconds, or null when off. */
  readonly expires_at: number | null;
  readonly enabled_by: string | null;
  readonly minutes: number | null;
}

export class EditModeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EditModeError';
  }
}

function who(p: Principal): string {
  return p.issuer === undefined ? `${p.auth}:${p.id}` : `${p.auth}:${p.issuer}#${p.id}`;
}

/**
 * Edit mode per upstream: off at start, on for a bounded time when an admin asks, off again by
 * itself. The state lives in the StateStore under `edit:<upstream>` with a TTL, so every replica
 * sees the same mode and a store that loses the key turns edit mode off (fail closed). Every change
 * is audited with who and for how long; the expiry is audited by the replica that enabled it.
 */
export class EditMode {
  readonly #state: StateStore;
  readonly #audit: AuditPort;
  readonly #logger: Logger;
  readonly #upstreams: ReadonlySet<string>;
  readonly #defaultMinutes: number;
  readonly #maxMinutes: number;
  readonly #now: () => number;
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(options: {
    state: StateStore;
    audit: AuditPort;
    logger: Logger;
    upstreams: readonly string[];
    defaultMinutes: number;
    maxMinutes: number;
    now?: () => number;
  }) {
    this.#state = options.state;
    this.#audit = options.audit;
    this.#logger = options.logger;
    this.#upstreams = new Set(options.upstreams);
    this.#defaultMinutes = options.defaultMinutes;
    this.#maxMinutes = options.maxMinutes;
    this.#now = options.now ?? Date.now;
  }

  get upstreams(): readonly string[] {
    return [...this.#upstreams];
  }

  /** Hot path: is edit mode on for this upstream, and until when. Unreadable state is "off". */
  async current(upstream: string): Promise<{ edit: boolean; expiresAt: number | null }> {
    const record = await this.#read(upstream);
    return record === undefined ? { edit: false, expiresAt: null } : { edit: true, expiresAt: record.expires_at };
  }

  async #read(upstream: string): Promise<EditRecord | undefined> {
    let raw: string | undefined;
    try {
      raw = await this.#state.get(`edit:${upstream}`);
    } catch (err) {
      this.#logger.warn({ err, upstream }, 'edit mode state unreadable; treating edit mode as off');
      return undefined;
    }
    if (raw === undefined) return undefined;
    try {
      const record = JSON.parse(raw) as EditRecord;
      return typeof record.expires_at === 'number' && record.expires_at > this.#now() ? record : undefined;
    } catch {
      return undefined;
    }
  }

  async status(upstream?: string): Promise<EditModeStatus[]> {
    const names = upstream === undefined ? [...this.#upstreams] : [upstream];
    const out: EditModeStatus[] = [];
    for (const name of names) {
      this.#check(name);
      const r = await this.#read(name);
      out.push({ upstream: name, edit: r !== undefined, expires_at: r?.expires_at ?? null, enabled_by: r?.enabled_by ?? null, minutes: r?.minutes ?? null });
    }
    return out;
  }

  #check(upstream: string): void {
    if (!this.#upstreams.has(upstream)) throw new EditModeError(`unknown upstream '${upstream}'`);
  }

  async enable(upstream: string, minutes: number | undefined, admin: Principal): Promise<EditModeStatus> {
    this.#check(upstream);
    const m = minutes ?? this.#defaultMinutes;
    if (typeof m !== 'number' || !Number.isFinite(m) || m <= 0) throw new EditModeError('minutes must be a positive number');
    if (m > this.#maxMinutes) throw new EditModeError(`minutes must not exceed ${this.#maxMinutes} (policy.edit_mode.max_minutes)`);
    const now = this.#now();
    const ttl = Math.round(m * 60_000);
    const record: EditRecord = { enabled_by: who(admin), enabled_at: now, expires_at: now + ttl, minutes: m };
    await this.#state.set(`edit:${upstream}`, JSON.stringify(record), ttl);
    editModeGauge.set({ upstream }, 1);
    this.#logger.warn({ upstream, minutes: m, by: record.enabled_by, expires_at: new Date(record.expires_at).toISOString() }, 'edit mode enabled: write tools may be called');
    this.#audit.record({
      type: 'policy.edit_mode_changed',
      outcome: 'success',
      message: `edit mode enabled for ${upstream} for ${m} minute(s)`,
      principal: admin,
      upstream,
      details: { edit: true, minutes: m, expires_at: new Date(record.expires_at).toISOString(), by: record.enabled_by },
    });
    this.#schedule(upstream, record);
    return { upstream, edit: true, expires_at: record.expires_at, enabled_by: record.enabled_by, minutes: m };
  }

  async disable(upstream: string, admin: Principal): Promise<EditModeStatus> {
    this.#check(upstream);
    const was = await this.#read(upstream);
    await this.#state.delete(`edit:${upstream}`);
    clearTimeout(this.#timers.get(upstream));
    this.#timers.delete(upstream);
    editModeGauge.set({ upstream }, 0);
    this.#logger.info({ upstream, by: who(admin) }, 'edit mode disabled');
    this.#audit.record({
      type: 'policy.edit_mode_changed',
      outcome: 'success',
      message: `edit mode disabled for ${upstream}`,
      principal: admin,
      upstream,
      details: { edit: false, was_on: was !== undefined, by: who(admin) },
    });
    return { upstream, edit: false, expires_at: null, enabled_by: null, minutes: null };
  }

  /** Audits the expiry when it happens (the StateStore TTL already turned it off). */
  #schedule(upstream: string, record: EditRecord): void {
    clearTimeout(this.#timers.get(upstream));
    const timer = setTimeout(() => {
      this.#timers.delete(upstream);
      void this.#read(upstream).then((still) => {
        if (still !== undefined && still.enabled_at !== record.enabled_at) return; // re-enabled meanwhile
        if (still !== undefined) return;
        editModeGauge.set({ upstream }, 0);
        this.#logger.info({ upstream, enabled_by: record.enabled_by, minutes: record.minutes }, 'edit mode expired');
        this.#audit.record({
          type: 'policy.edit_mode_changed',
          outcome: 'success',
          message: `edit mode expired for ${upstream} after ${record.minutes} minute(s)`,
          upstream,
          details: { edit: false, expired: true, minutes: record.minutes, enabled_by: record.enabled_by },
        });
      });
    }, Math.max(0, record.expires_at - this.#now()) + 50);
    timer.unref();
    this.#timers.set(upstream, timer);
  }

  close(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }
}
