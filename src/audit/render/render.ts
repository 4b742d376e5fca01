import type { SpoolEntry } from '../spool/spool-reader.ts';
import { toCef } from './cef.ts';
import { toEcs } from './ecs.ts';

export type AuditFormat = 'ocsf' | 'ecs' | 'cef';

/**
 * One line of text for an event in the sink's format. OCSF is the spooled canonical JSON itself,
 * byte for byte, so the receiver can recompute the chain hash.
 */
export function renderer(format: AuditFormat): (entry: SpoolEntry) => string {
  switch (format) {
    case 'ocsf':
      return (entry) => entry.line;
    case 'ecs':
      return (entry) => JSON.stringify(toEcs(entry.event));
    case 'cef':
      return (entry) => toCef(entry.event);
  }
}
