import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load-config.ts';
import { secretResolvers } from '../secrets/secret-resolver.ts';
import { rotateSelfSigned, type SelfSignedSpec } from '../tls/self-signed.ts';
import { tlsSettings } from '../tls/tls-config.ts';

const HELP = `mcp-warden certs — the self-signed TLS certificate (listen.tls.mode: self-signed)

  mcp-warden certs rotate --config FILE
  mcp-warden certs rotate --dir DIR [--hostname NAME]... [--ip ADDR]... [--days N]
      generates a new key and certificate (0600); a running mcp-warden serves them within seconds
      without dropping connections
  mcp-warden certs show (--config FILE | --dir DIR)
`;

async function specFrom(values: { config?: string; dir?: string; hostname?: string[]; ip?: string[]; days?: string }): Promise<SelfSignedSpec> {
  if (values.config !== undefined) {
    const file = resolve(values.config);
    const config = await loadConfig(file, secretResolvers(file));
    const tls = tlsSettings(config.listen.tls);
    if (tls.mode !== 'self-signed') throw new Error(`${file}: listen.tls.mode is '${tls.mode}', not 'self-signed'`);
    return { dir: resolve(dirname(file), tls.dir), hostnames: tls.hostnames, ips: tls.ips, validDays: tls.validDays };
  }
  if (values.dir === undefined) throw new Error('--config FILE or --dir DIR is required');
  return { dir: resolve(values.dir), hostnames: values.hostname ?? ['localhost'], ips: values.ip ?? ['127.0.0.1', '::1'], validDays: values.days === undefined ? 365 : Number(values.days) };
}

export async function runCertsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'rotate' && sub !== 'show') {
    process.stdout.write(HELP);
    return sub === undefined || sub === '--help' || sub === 'help' ? 0 : 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: { config: { type: 'string' }, dir: { type: 'string' }, hostname: { type: 'string', multiple: true }, ip: { type: 'string', multiple: true }, days: { type: 'string' } },
    strict: true,
  });
  let spec: SelfSignedSpec;
  try {
    spec = await specFrom(values);
    if (!Number.isInteger(spec.validDays) || spec.validDays < 1 || spec.validDays > 825) throw new Error('--days must be 1..825');
  } catch (err) {
    process.stderr.write(`mcp-warden certs ${sub}: ${(err as Error).message}\n`);
    return 2;
  }
  if (sub === 'rotate') {
    const files = await rotateSelfSigned(spec);
    process.stdout.write(`${files.certFile}\nsha256 ${files.fingerprint256}\nvalid until ${files.validTo}\n`);
    return 0;
  }
  try {
    const cert = new X509Certificate(readFileSync(join(spec.dir, 'server.crt')));
    process.stdout.write(`${join(spec.dir, 'server.crt')}\nsubject ${cert.subject}\nnames ${cert.subjectAltName ?? ''}\nsha256 ${cert.fingerprint256}\nvalid ${cert.validFrom} .. ${cert.validTo}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`mcp-warden certs show: ${(err as Error).message}\n`);
    return 1;
  }
}
