import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSecureContext, type SecureContextOptions, type TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import { FilePoller } from './file-poller.ts';
import { ensureSelfSigned } from './self-signed.ts';
import { MODERN_CIPHERS, tlsSettings, type TlsConfig } from './tls-config.ts';

/** Structurally the `TlsListener` of cli/compose.ts (tls/ does not import cli/), plus close(). */
export interface ManagedTlsListener {
  readonly options: TlsOptions;
  onChange(listener: (options: SecureContextOptions) => void): void;
  close(): void;
}

/**
 * The MCP listener's TLS: options for https.createServer, and a watch on the certificate and key
 * that hands the server a new secure context when they change (`files` mode, or `certs rotate` in
 * self-signed mode). Existing connections keep their session; new handshakes get the new pair. A
 * pair that does not load (e.g. the key was replaced before the certificate) is ignored until the
 * next change, so a rotation never takes the listener down.
 *
 * With mTLS the listener asks for a client certificate against `clientCaFile` but does not abort
 * the handshake without one: the authenticator decides (a 401 with a reason is clearer than a TLS
 * alert, and mTLS may be combined with other methods).
 */
export async function createTlsListener(section: TlsConfig, baseDir: string, logger: Logger, clientCaFile?: string): Promise<ManagedTlsListener | undefined> {
  const config = tlsSettings(section);
  if (config.mode === 'off') return undefined;
  let certFile: string;
  let keyFile: string;
  if (config.mode === 'self-signed') {
    const files = await ensureSelfSigned({ dir: resolve(baseDir, config.dir), hostnames: config.hostnames, ips: config.ips, validDays: config.validDays });
    logger.info({ cert: files.certFile, created: files.created, fingerprint256: files.fingerprint256, valid_to: files.validTo }, 'self-signed TLS certificate');
    ({ certFile, keyFile } = files);
  } else {
    certFile = resolve(baseDir, config.certFile!);
    keyFile = resolve(baseDir, config.keyFile!);
  }
  const ca = clientCaFile === undefined ? undefined : readFileSync(resolve(baseDir, clientCaFile));
  const contextOptions = (): SecureContextOptions => ({
    cert: readFileSync(certFile),
    key: readFileSync(keyFile),
    minVersion: config.minVersion,
    ciphers: MODERN_CIPHERS,
    honorCipherOrder: true,
    ...(ca === undefined ? {} : { ca }),
  });
  const pollers = [new FilePoller(certFile), new FilePoller(keyFile)]; // baselines before the first read
  const initial = contextOptions();
  createSecureContext(initial); // throws now, at start-up, on a key that does not match its certificate
  const options: TlsOptions = { ...initial, ...(ca === undefined ? {} : { requestCert: true, rejectUnauthorized: false }) };

  const listeners: ((o: SecureContextOptions) => void)[] = [];
  let last = `${initial.cert!.toString()}|${initial.key!.toString()}`;
  const onChange = () => {
    let next: SecureContextOptions;
    try {
      next = contextOptions();
      const fingerprint = `${next.cert!.toString()}|${next.key!.toString()}`;
      if (fingerprint === last) return;
      createSecureContext(next);
      last = fingerprint;
    } catch (err) {
      logger.warn({ cert: certFile, err: (err as Error).message }, 'TLS certificate or key changed but does not load yet; keeping the previous pair');
      return;
    }
    logger.info({ cert: certFile }, 'TLS certificate reloaded');
    for (const listener of listeners) listener(next);
  };
  for (const poller of pollers) poller.start(config.reloadIntervalMs, onChange);
  return {
    options,
    onChange: (listener) => void listeners.push(listener),
    close: () => {
      for (const poller of pollers) poller.stop();
    },
  };
}
