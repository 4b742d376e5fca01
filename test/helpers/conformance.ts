import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NODE22, REPO_ROOT, runToCompletion } from './child-process.ts';

const CONFORMANCE = join(REPO_ROOT, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');

export interface ConformanceScenario {
  name: string;
  passed: number;
  failed: number;
  warnings: number;
  /** check id → status (SUCCESS, FAILURE, WARNING, SKIPPED, INFO …) */
  checks: Record<string, string>;
}

export interface ConformanceResult {
  /** Sum of SUCCESS checks over all scenarios (what the suite's "Total: N passed" counts). */
  passed: number;
  /** Sum of FAILURE checks. */
  failed: number;
  warnings: number;
  scenarios: ConformanceScenario[];
  /** The suite's own "Total: N passed, M failed" line, when it printed one (a cross-check). */
  printedTotal?: { passed: number; failed: number };
  exitCode: number | null;
  durationMs: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `@modelcontextprotocol/conformance server --url URL` (with Node 22, which it needs) and
 * counts the results from the per-scenario `checks.json` files it writes, which is sturdier than
 * reading its coloured console output; the printed total is kept as a cross-check. A run that
 * produced no results at all throws with the suite's output.
 */
export async function runConformance(
  url: string,
  options: { suite?: 'active' | 'all' | 'pending'; scenario?: string; specVersion?: string; timeoutMs?: number } = {},
): Promise<ConformanceResult> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-conformance-'));
  try {
    const args = [CONFORMANCE, 'server', '--url', url, '-o', join(dir, 'out')];
    if (options.scenario) args.push('--scenario', options.scenario);
    else args.push('--suite', options.suite ?? 'active');
    if (options.specVersion) args.push('--spec-version', options.specVersion);
    const run = await runToCompletion(NODE22, args, { env: { ...process.env, HOME: dir, NO_COLOR: '1', FORCE_COLOR: '0' }, timeoutMs: options.timeoutMs ?? 180_000 });
    if (run.timedOut) throw new Error(`conformance suite timed out against ${url}:\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`);
    const scenarios = readScenarios(join(dir, 'out'));
    const printed = /Total:\s*(\d+)\s*passed,\s*(\d+)\s*failed/.exec(stripAnsi(run.stdout));
    if (scenarios.length === 0) {
      throw new Error(`conformance suite produced no results against ${url} (exit ${run.code}):\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-4000)}`);
    }
    const sum = (key: 'passed' | 'failed' | 'warnings') => scenarios.reduce((n, s) => n + s[key], 0);
    return {
      passed: sum('passed'),
      failed: sum('failed'),
      warnings: sum('warnings'),
      scenarios,
      ...(printed ? { printedTotal: { passed: Number(printed[1]), failed: Number(printed[2]) } } : {}),
      exitCode: run.code,
      durationMs: run.durationMs,
      stdout: run.stdout,
      stderr: run.stderr,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Result directories are named `server-<scenario>-<ISO timestamp>`; a scenario may sit deeper (`auth/…`). */
function readScenarios(root: string): ConformanceScenario[] {
  const found: ConformanceScenario[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 4) return;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path, depth + 1);
      else if (name === 'checks.json') found.push(readScenario(dir.slice(root.length + 1), path));
    }
  };
  walk(root, 0);
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

function readScenario(relativeDir: string, file: string): ConformanceScenario {
  const name = relativeDir.replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '').replace(/^server-/, '');
  let checks: { id?: string; name?: string; status?: string }[];
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    checks = Array.isArray(parsed) ? (parsed as typeof checks) : [];
  } catch {
    // An unreadable result is a failed scenario, never a silently missing one.
    return { name, passed: 0, failed: 1, warnings: 0, checks: { 'checks.json': 'UNREADABLE' } };
  }
  const byId: Record<string, string> = {};
  checks.forEach((check, i) => {
    byId[check.id ?? check.name ?? `#${i}`] = check.status ?? 'UNKNOWN';
  });
  const count = (status: string) => checks.filter((check) => check.status === status).length;
  return { name, passed: count('SUCCESS'), failed: count('FAILURE'), warnings: count('WARNING'), checks: byId };
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}
