import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real rsyslog on loopback for the audit tests: `rsyslogd -n -f CONF -i PIDFILE` with its own
 * config and work directory, listening on ephemeral ports with
 * - imtcp, octet-counted framing (RFC 6587) — plain TCP;
 * - imtcp with the gtls stream driver (RFC 5425) and a certificate made with openssl;
 * - imrelp (RELP).
 * Every message it receives is written by omfile as one JSON object per line with the fields its
 * RFC 5424 parser extracted (so "parses as RFC 5424" is rsyslog's verdict, not ours); with
 * `output: 'stock'` (the benchmark, which reads nothing back) in rsyslog's stock file format
 * instead, since re-encoding every field as JSON costs rsyslog ~10 µs of CPU a message. The main
 * queue is Direct: a message is in the file before its RELP `rsp` goes out, so a kill -9 of the
 * receiver loses nothing it acknowledged. It can be killed and restarted on the same ports.
 */
export interface ReceivedSyslog {
  readonly input: string;
  readonly pri: string;
  readonly version: string;
  readonly timestamp: string;
  readonly hostname: string;
  readonly app: string;
  readonly procid: string;
  readonly msgid: string;
  readonly sd: string;
  readonly msg: string;
}

export interface RunningRsyslog {
  readonly dir: string;
  readonly ports: { readonly tcp: number; readonly tls: number; readonly relp: number };
  /** CA certificate that signed the TLS listener's certificate (for the client). */
  readonly caFile: string;
  messages(): ReceivedSyslog[];
  waitFor(predicate: (messages: ReceivedSyslog[]) => boolean, timeoutMs?: number): Promise<ReceivedSyslog[]>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function rsyslogAvailable(): boolean {
  try {
    execFileSync('rsyslogd', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function makeCerts(dir: string): void {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=warden-test-ca']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf']);
}

function config(dir: string, ports: { tcp: number; tls: number; relp: number }, output: 'json' | 'stock'): string {
  const f = (name: string) => join(dir, name);
  return `
global(workDirectory="${f('work')}" maxMessageSize="256k"
       defaultNetstreamDriverCAFile="${f('ca.pem')}"
       defaultNetstreamDriverCertFile="${f('server.pem')}"
       defaultNetstreamDriverKeyFile="${f('server.key')}")
main_queue(queue.type="Direct")
module(load="imtcp" maxSessions="200")
module(load="imrelp")
input(type="imtcp" address="127.0.0.1" port="${ports.tcp}" name="tcp" ruleset="audit" supportOctetCountedFraming="on")
input(type="imtcp" address="127.0.0.1" port="${ports.tls}" name="tls" ruleset="audit"
      streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imrelp" address="127.0.0.1" port="${ports.relp}" name="relp" ruleset="audit" maxDataSize="256k")
template(name="received" type="list" option.jsonf="on") {
  property(outname="input" name="inputname" format="jsonf")
  property(outname="pri" name="pri" format="jsonf")
  property(outname="version" name="protocol-version" format="jsonf")
  property(outname="timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="app" name="app-name" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="sd" name="structured-data" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
}
ruleset(name="audit" queue.type="Direct") {
  action(type="omfile" file="${f('received.jsonl')}" template="${output === 'json' ? 'received' : 'RSYSLOG_FileFormat'}" flushOnTXEnd="on" asyncWriting="off" ioBufferSize="4k")
}
`;
}

export async function startRsyslog(options: { output?: 'json' | 'stock' } = {}): Promise<RunningRsyslog> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-rsyslog-'));
  mkdirSync(join(dir, 'work'));
  makeCerts(dir);
  const ports = { tcp: await freePort(), tls: await freePort(), relp: await freePort() };
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(conf, config(dir, ports, options.output ?? 'json'));
  const pidFile = join(dir, 'rsyslogd.pid');
  const out = join(dir, 'received.jsonl');
  let child: ChildProcess | undefined;
  let stderr = '';

  const listening = async (port: number): Promise<boolean> =>
    new Promise((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(true)); // taken: rsyslog has it
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(false)));
    });

  const start = async () => {
    stderr = '';
    child = spawn('rsyslogd', ['-n', '-f', conf, '-i', pidFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`rsyslogd exited with ${child.exitCode}: ${stderr}`);
      if ((await listening(ports.tcp)) && (await listening(ports.tls)) && (await listening(ports.relp))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`rsyslogd did not listen within 10 s: ${stderr}`);
  };

  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const c = child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(signal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };

  const messages = (): ReceivedSyslog[] => {
    if (!existsSync(out)) return [];
    return readFileSync(out, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as ReceivedSyslog];
        } catch {
          return []; // a line cut by kill -9 (never an acknowledged one: see above)
        }
      });
  };

  await start();
  return {
    dir,
    ports,
    caFile: join(dir, 'ca.pem'),
    messages,
    async waitFor(predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = messages();
        if (predicate(m)) return m;
        if (Date.now() > deadline) throw new Error(`rsyslog: condition not met within ${timeoutMs} ms (${m.length} messages received)`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    kill,
    start,
    stop: () => kill('SIGTERM'),
  };
}
