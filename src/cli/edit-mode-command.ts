import { parseArgs } from 'node:util';

const HELP = `mcp-warden edit-mode — turn write access on for one upstream, for a bounded time

Usage:
  mcp-warden edit-mode on     --upstream NAME [--minutes N] [--admin-url URL] [--token T]
  mcp-warden edit-mode off    --upstream NAME [--admin-url URL] [--token T]
  mcp-warden edit-mode status [--upstream NAME] [--admin-url URL] [--token T]

--admin-url defaults to MCP_WARDEN_ADMIN_URL or http://127.0.0.1:9090; --token to
MCP_WARDEN_ADMIN_TOKEN (the admin token, or a JWT/API key of a principal with role admin).
`;

interface Status {
  upstream: string;
  edit: boolean;
  expires_at: number | null;
  enabled_by: string | null;
}

function describe(s: Status): string {
  if (!s.edit) return `${s.upstream}: edit mode off`;
  const left = Math.max(0, Math.round(((s.expires_at ?? 0) - Date.now()) / 60_000));
  return `${s.upstream}: edit mode ON until ${new Date(s.expires_at ?? 0).toISOString()} (~${left} min left, enabled by ${s.enabled_by ?? '?'})`;
}

/** `mcp-warden edit-mode on|off|status`; a client of the admin API. Returns the exit code. */
export async function runEditModeCommand(argv: string[], io: { stdout: Pick<NodeJS.WritableStream, 'write'>; stderr: Pick<NodeJS.WritableStream, 'write'> } = process): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(HELP);
    return sub === undefined ? 2 : 0;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        upstream: { type: 'string' },
        minutes: { type: 'string' },
        'admin-url': { type: 'string', default: process.env.MCP_WARDEN_ADMIN_URL ?? 'http://127.0.0.1:9090' },
        token: { type: 'string', default: process.env.MCP_WARDEN_ADMIN_TOKEN },
        json: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    io.stderr.write(`mcp-warden edit-mode: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (!['on', 'off', 'status'].includes(sub)) {
    io.stderr.write(`mcp-warden edit-mode: unknown subcommand '${sub}'\n\n${HELP}`);
    return 2;
  }
  if (sub !== 'status' && values.upstream === undefined) {
    io.stderr.write('mcp-warden edit-mode: --upstream NAME is required\n');
    return 2;
  }
  let minutes: number | undefined;
  if (values.minutes !== undefined) {
    minutes = Number(values.minutes);
    if (!Number.isFinite(minutes) || minutes <= 0) {
      io.stderr.write('mcp-warden edit-mode: --minutes must be a positive number\n');
      return 2;
    }
  }
  const base = values['admin-url'].replace(/\/+$/, '');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (values.token) headers.authorization = `Bearer ${values.token}`;
  let url = `${base}/v1/edit-mode`;
  let init: RequestInit = { method: 'GET', headers };
  if (sub === 'on') init = { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ upstream: values.upstream, ...(minutes === undefined ? {} : { minutes }) }) };
  else if (sub === 'off') {
    url += `?upstream=${encodeURIComponent(values.upstream as string)}`;
    init = { method: 'DELETE', headers };
  } else if (values.upstream !== undefined) url += `?upstream=${encodeURIComponent(values.upstream)}`;
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    io.stderr.write(`mcp-warden edit-mode: cannot reach the admin API at ${base}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}\n`);
    return 1;
  }
  const body = (await res.json().catch(() => ({}))) as { error?: string; upstreams?: Status[] } & Partial<Status>;
  if (!res.ok) {
    io.stderr.write(`mcp-warden edit-mode: HTTP ${res.status}: ${body.error ?? res.statusText}\n`);
    return 1;
  }
  if (values.json) io.stdout.write(`${JSON.stringify(body)}\n`);
  else {
    const list = body.upstreams ?? [body as Status];
    for (const s of list) io.stdout.write(`${describe(s)}\n`);
  }
  return 0;
}
