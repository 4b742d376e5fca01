import { connect } from 'node:net';

/**
 * Readiness: can a TCP connection to the upstream be opened within `timeoutMs`? (A cheap probe
 * that works for every transport and does not create MCP sessions on the upstream.)
 */
export function probeUpstream(url: string, timeoutMs: number): Promise<boolean> {
  const target = new URL(url);
  const secure = target.protocol === 'https:' || target.protocol === 'wss:';
  const port = Number(target.port || (secure ? 443 : 80));
  const host = target.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
