#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load-config.ts';
import { createLogger } from '../log/logger.ts';
import { secretResolvers } from '../secrets/secret-resolver.ts';
import { startWarden } from './serve.ts';

const HELP = `mcp-warden — a policy enforcement point for the Model Context Protocol

Usage:
  mcp-warden serve --config FILE      run the proxy (YAML or JSON config)
  mcp-warden policy build|test …      compile policies/ into an OPA bundle; run the Rego tests
  mcp-warden edit-mode on|off|status  turn edit mode on for one upstream for a bounded time (admin API)
  mcp-warden audit verify|tail PATH   check an audit spool's hash chain and signatures; follow it
  mcp-warden apikey create|revoke|list   API keys (only hashes are stored; a new key is printed once)
  mcp-warden certs rotate|show        the self-signed listener certificate
  mcp-warden secret keygen|encrypt|list  encrypted credentials for \${secret:NAME} references
  mcp-warden --help                   this text
  mcp-warden --version                the version

Run 'mcp-warden COMMAND --help' for a command's options.

Exit codes: 0 ok, 1 runtime failure, 2 bad usage or invalid configuration.
`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function serve(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } }, strict: true });
  if (values.config === undefined) {
    process.stderr.write('mcp-warden serve: --config FILE is required\n');
    return 2;
  }
  const file = resolve(values.config);
  const config = await loadConfig(file, secretResolvers(file));
  const logger = createLogger(config.logging.level);
  const warden = await startWarden(config, { logger, baseDir: dirname(file) });
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      logger.info({ signal, grace_ms: config.shutdown.grace_ms }, 'shutting down: no new connections, waiting for in-flight exchanges');
      warden.close().then(done, (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        done();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  logger.info('stopped');
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  try {
    switch (command) {
      case 'serve':
        return await serve(rest);
      // Loaded on demand: each command pulls in only what it needs.
      case 'policy':
        return await (await import('./policy-command.ts')).runPolicyCommand(rest);
      case 'edit-mode':
        return await (await import('./edit-mode-command.ts')).runEditModeCommand(rest);
      case 'audit':
        return await (await import('./audit-command.ts')).runAuditCommand(rest);
      case 'apikey':
        return await (await import('./apikey-command.ts')).runApikeyCommand(rest);
      case 'certs':
        return await (await import('./certs-command.ts')).runCertsCommand(rest);
      case 'secret':
        return await (await import('./secret-command.ts')).runSecretCommand(rest);
      default:
        process.stderr.write(`mcp-warden: unknown command '${command}'\n\n${HELP}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`mcp-warden: ${err.message}\n`);
      return 2;
    }
    if ((err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (err as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      process.stderr.write(`mcp-warden: ${(err as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`mcp-warden: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`mcp-warden: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
