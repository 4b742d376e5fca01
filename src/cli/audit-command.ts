import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { filesOf, loadPublicKey, verifyChain } from '../audit/verify.ts';

const HELP = `mcp-warden audit — inspect the audit spool

Usage:
  mcp-warden audit verify PATH [--public-key FILE] [--json]
      Checks the hash chain and signed checkpoints of a spool directory, a segment, or a file
      sink's OCSF JSON lines. Names the first broken link. Exit 0 intact, 1 broken, 2 usage.
      Without --public-key, PATH/checkpoint-public-key.pem is used if present (an auditor should
      pass their own copy of the key: a file next to the data proves less).
  mcp-warden audit tail PATH [-n N] [--follow] [--json]
      Prints the last N events (default 10) of a spool directory or file, one line each.
`;

export async function runAuditCommand(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    out.write(HELP);
    return sub === undefined ? 2 : 0;
  }
  try {
    if (sub === 'verify') return await verify(rest, out, err);
    if (sub === 'tail') return await tail(rest, out);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' || code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      err.write(`mcp-warden audit: ${(e as Error).message}\n`);
      return 2;
    }
    if (code === 'ENOENT') {
      err.write(`mcp-warden audit: ${(e as Error).message}\n`);
      return 2;
    }
    throw e;
  }
  err.write(`mcp-warden audit: unknown subcommand '${sub}'\n\n${HELP}`);
  return 2;
}

async function verify(argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { 'public-key': { type: 'string' }, json: { type: 'boolean' } } });
  const [path] = positionals;
  if (path === undefined || positionals.length > 1) {
    err.write('mcp-warden audit verify: one PATH is required\n');
    return 2;
  }
  let keyFile = values['public-key'];
  if (keyFile === undefined && (await stat(path)).isDirectory() && existsSync(join(path, 'checkpoint-public-key.pem'))) keyFile = join(path, 'checkpoint-public-key.pem');
  const key = keyFile !== undefined ? await loadPublicKey(keyFile) : undefined;
  const report = await verifyChain(path, key);
  if (values.json === true) out.write(`${JSON.stringify(report)}\n`);
  else if (report.ok) {
    out.write(`OK: ${report.events} events, seq ${report.firstSeq ?? '-'}..${report.lastSeq ?? '-'} of replica ${report.replicaId ?? '-'}; chain intact; ${report.checkpoints} checkpoints ${report.signaturesChecked ? `with valid signatures (key ${keyFile})` : '(signatures NOT checked: no public key)'}; ${report.unsignedTail} events after the last checkpoint\n`);
  } else {
    const p = report.problem;
    out.write(`BROKEN: first broken link at seq ${p?.seq ?? '?'} (${p?.kind}) — ${p?.file}:${p?.line}: ${p?.message}\n`);
  }
  return report.ok ? 0 : 1;
}

async function tail(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { n: { type: 'string', short: 'n', default: '10' }, follow: { type: 'boolean', short: 'f' }, json: { type: 'boolean' } } });
  const [path] = positionals;
  if (path === undefined) throw Object.assign(new Error('tail: PATH is required'), { code: 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' });
  const n = Math.max(1, Math.min(10_000, Number(values.n) || 10));
  const files = await filesOf(path);
  const last = files[files.length - 1];
  if (last === undefined) return 0;
  const lines = await lastLines(files, n);
  for (const line of lines) out.write(`${values.json === true ? line : summary(line)}\n`);
  if (values.follow !== true) return 0;
  let offset = (await stat(last)).size;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const size = (await stat(last).catch(() => ({ size: offset }))).size;
    if (size <= offset) continue;
    const fh = await open(last, 'r');
    const buf = Buffer.alloc(size - offset);
    await fh.read(buf, 0, buf.length, offset);
    await fh.close();
    const text = buf.toString('utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    offset += Buffer.byteLength(complete);
    for (const line of complete.split('\n').filter((l) => l !== '')) out.write(`${values.json === true ? line : summary(line)}\n`);
  }
}

async function lastLines(files: string[], n: number): Promise<string[]> {
  const acc: string[] = [];
  for (let i = files.length - 1; i >= 0 && acc.length < n; i--) {
    const fh = await open(files[i] as string, 'r');
    try {
      const size = (await fh.stat()).size;
      const want = Math.min(size, 4 * 1024 * 1024);
      const buf = Buffer.alloc(want);
      await fh.read(buf, 0, want, size - want);
      const lines = buf.toString('utf8').split('\n').filter((l) => l !== '');
      if (want < size) lines.shift(); // probably a partial first line
      acc.unshift(...lines.slice(-(n - acc.length)));
    } finally {
      await fh.close();
    }
  }
  return acc.slice(-n);
}

function summary(line: string): string {
  try {
    const e = JSON.parse(line) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (e.checkpoint !== undefined) return `checkpoint seq=${e.checkpoint.seq} key=${e.checkpoint.key_id} at ${e.checkpoint.time}`;
    const d = e.unmapped?.decision;
    const m = e.unmapped?.mcp ?? {};
    return [
      new Date(e.time).toISOString(),
      `seq=${e.metadata?.sequence ?? '?'}`,
      e.status ?? '?',
      e.api?.operation ?? '?',
      m.tool !== undefined ? `tool=${m.tool}` : '',
      `user=${e.actor?.user?.uid ?? '?'}`,
      e.src_endpoint?.ip !== undefined ? `ip=${e.src_endpoint.ip}` : '',
      m.upstream !== undefined ? `upstream=${m.upstream}` : '',
      d !== undefined ? `decision=${d.allow === true ? 'allow' : 'deny'}${d.rule !== undefined ? `(${d.rule})` : ''}` : '',
      e.duration !== undefined ? `${e.duration}ms` : '',
      e.status_code !== undefined ? `code=${e.status_code}` : '',
    ]
      .filter((x) => x !== '')
      .join(' ');
  } catch {
    return line;
  }
}
