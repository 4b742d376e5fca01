#!/usr/bin/env node
// Runs every *.test.ts below the given directories with node's own test runner (through tsx),
// so that CI reads node's closing summary. Node 20's --test does not expand globs itself.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const passthrough = process.argv.slice(2).filter((a) => a.startsWith('--'));
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.ts')) files.push(path);
  }
}
for (const root of roots.length ? roots : ['test']) {
  if (statSync(root, { throwIfNoEntry: false })?.isFile()) files.push(root);
  else walk(root);
}
if (files.length === 0) {
  console.error('run-tests: no test files found under', roots.join(' '));
  process.exit(1);
}
const concurrency = process.env.WARDEN_TEST_CONCURRENCY ?? '2';
// A hang is a failure, never a stalled CI: no single test may run longer than this.
const timeout = process.env.WARDEN_TEST_TIMEOUT_MS ?? '180000';
console.log(`run-tests: ${files.length} files on Node ${process.version}, concurrency ${concurrency}, per-test timeout ${timeout} ms`);
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${timeout}`, ...passthrough, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
