import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { rsyslogAvailable, startRsyslog, type ReceivedSyslog, type RunningRsyslog } from '../../helpers/rsyslog.ts';
import { buildApiActivitySchema } from '../../unit/audit/ocsf-schema.ts';
import { exchanges, missing, startAudit, tally } from './audit-harness.ts';

const seqOf = (m: ReceivedSyslog) => Number(/ seq="(\d+)"/.exec(m.sd)?.[1]);

describe('audit to a real rsyslog (TCP, TLS, RELP)', () => {
  let rsyslog: RunningRsyslog;
  const validate = new Ajv2020({ strict: false, allErrors: true }).compile(buildApiActivitySchema().schema);

  before(async () => {
    assert.ok(rsyslogAvailable(), 'rsyslogd is not installed (Debian packages rsyslog, rsyslog-gnutls, rsyslog-relp; see scripts/apt-packages.txt)');
    rsyslog = await startRsyslog();
  });
  after(async () => {
    await rsyslog?.stop();
  });

  it('events over TCP (octet counting), TLS and RELP arrive and parse as RFC 5424 with the OCSF JSON as message', async () => {
    const audit = await startAudit({
      sinks: [
        { type: 'syslog', name: 'tcp', protocol: 'tcp', port: rsyslog.ports.tcp },
        { type: 'syslog', name: 'tls', protocol: 'tls', host: '127.0.0.1', port: rsyslog.ports.tls, tls: { ca: rsyslog.caFile } },
        { type: 'syslog', name: 'relp', protocol: 'relp', port: rsyslog.ports.relp },
      ],
    });
    try {
      await exchanges(audit, 5);
      const got = await rsyslog.waitFor((m) => ['tcp', 'tls', 'relp'].every((input) => m.filter((x) => x.input === input).length >= 5));
      for (const input of ['tcp', 'tls', 'relp']) {
        const mine = got.filter((m) => m.input === input);
        assert.deepEqual(mine.map(seqOf).sort((a, b) => a - b), [1, 2, 3, 4, 5], input);
        for (const m of mine) {
          assert.equal(m.version, '1', 'RFC 5424 VERSION');
          assert.equal(m.app, 'mcp-warden');
          assert.equal(m.msgid, 'mcp.exchange');
          assert.equal(m.pri, String(10 * 8 + 6), 'authpriv.info');
          assert.match(m.sd, /^\[warden@32473 seq="\d+" replica="replica-test"\]$/);
          const event = JSON.parse(m.msg) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
          assert.ok(validate(event), JSON.stringify(validate.errors));
          assert.equal(event.metadata.sequence, seqOf(m));
          assert.equal(event.api.operation, 'tools/call');
        }
      }
    } finally {
      await audit.close();
    }
  });

  it('RELP: events written while the receiver is killed (SIGKILL) and restarted twice all arrive; duplicates counted', async () => {
    const before = rsyslog.messages().length;
    const audit = await startAudit({ sinks: [{ type: 'syslog', name: 'relp-noloss', protocol: 'relp', port: rsyslog.ports.relp, batch_size: 50, retry: { initial_ms: 50, max_ms: 400 } }] });
    try {
      const total = 600;
      await exchanges(audit, 150, 0);
      await rsyslog.kill('SIGKILL');
      await exchanges(audit, 150, 150); // spooled while the receiver is down
      await rsyslog.start();
      await exchanges(audit, 100, 300);
      await new Promise((r) => setTimeout(r, 100));
      await rsyslog.kill('SIGKILL'); // likely mid-batch
      await exchanges(audit, 100, 400);
      await rsyslog.start();
      await exchanges(audit, 100, 500);
      const got = await rsyslog.waitFor((m) => tally(m.slice(before).filter((x) => x.input === 'relp').map(seqOf)).unique.size >= total, 30_000);
      const { unique, duplicates } = tally(got.slice(before).filter((x) => x.input === 'relp').map(seqOf));
      assert.deepEqual(missing(unique, total), [], 'no sequence number missing');
      assert.ok(duplicates >= 0);
      process.stdout.write(`# RELP no-loss: ${total} events, ${unique.size} unique received, ${duplicates} duplicates\n`);
    } finally {
      await audit.close();
    }
  });
});
