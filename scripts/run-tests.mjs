#!/usr/bin/env node
// Runs every *.test.ts below the given directories with node's own test runner (through tsx),
// so that CI reads node's closing summary. Node 20's --test does not expand globs itself.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { failedTests } from './tap-failures.mjs';

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
// In a terminal node's own spec reporter lists the failures at the end. Elsewhere (CI) the TAP goes
// to our stdout as it comes and is kept, so that the failures can be named again at the end.
const toTerminal = process.stdout.isTTY === true;
const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${timeout}`, ...passthrough, ...files],
  { stdio: ['inherit', toTerminal ? 'inherit' : 'pipe', 'inherit'] },
);
const chunks = [];
child.stdout?.on('data', (chunk) => {
  chunks.push(chunk);
  process.stdout.write(chunk);
});
child.on('close', (code, signal) => {
  const failures = toTerminal ? [] : failedTests(Buffer.concat(chunks).toString('utf8'));
  if (failures.length > 0) {
    console.log(`\nrun-tests: ${failures.length} failed:`);
    for (const failure of failures) console.log(failure);
  }
  process.exit(code ?? (signal ? 1 : 0));
});
