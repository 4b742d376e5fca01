import { hostname } from 'node:os';
import type { SpoolEntry } from '../spool/spool-reader.ts';

/**
 * RFC 5424 syslog messages: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG`, with the
 * rendered event (OCSF JSON by default) as MSG and the chain position as structured data under a
 * private SD-ID (`warden@32473`, 32473 being the example enterprise number of RFC 5612).
 */
export const SD_ID = 'warden@32473';

/** OCSF severity_id (0–6) onto syslog severity (0 emergency … 7 debug). */
const SYSLOG_SEVERITY = [6, 6, 5, 4, 3, 2, 1];

export function sdValue(value: string): string {
  return value.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

function printable(value: string, max: number): string {
  const s = value.replace(/[^!-~]/g, '_').slice(0, max);
  return s === '' ? '-' : s;
}

export interface SyslogOptions {
  readonly facility: number;
  readonly appName: string;
  readonly hostname?: string;
}

export function syslogFormatter(o: SyslogOptions, render: (e: SpoolEntry) => string): (e: SpoolEntry) => string {
  const host = printable(o.hostname ?? hostname(), 255);
  const app = printable(o.appName, 48);
  const procid = String(process.pid);
  // Event codes and replica ids are few: their header forms are worked out once each.
  const msgids = new Map<string, string>();
  const sds = new Map<string, string>();
  return (entry) => {
    const h = entry.header;
    const pri = o.facility * 8 + (SYSLOG_SEVERITY[h.severityId] ?? 6);
    const ts = new Date(h.time).toISOString();
    let msgid = msgids.get(h.eventCode);
    if (msgid === undefined) msgids.set(h.eventCode, (msgid = printable(h.eventCode, 32)));
    let replica = sds.get(entry.replicaId);
    if (replica === undefined) sds.set(entry.replicaId, (replica = sdValue(entry.replicaId)));
    return `<${pri}>1 ${ts} ${host} ${app} ${procid} ${msgid} [${SD_ID} seq="${entry.seq}" replica="${replica}"] ${render(entry)}`;
  };
}

/** RFC 6587 octet counting: `MSG-LEN SP SYSLOG-MSG`, the length in bytes. */
export function octetCounted(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `), body]);
}
