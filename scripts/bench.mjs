#!/usr/bin/env node
// `npm run bench [-- NAME… | --all] [-- options]`: runs benchmarks from bench/*.bench.ts through tsx.
// Without a name it runs the proxy benchmark (bench/proxy-throughput.bench.ts); `--all` runs every
// bench file in turn. Options that are not names are handed to each benchmark (e.g. --duration 3).
// Benchmarks print figures and never gate CI: the exit code is non-zero only if one crashed.
import { readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const available = readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.bench.ts')).sort();
const args = process.argv.slice(2);
const all = args.includes('--all');
const names = [];
const passthrough = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '--all') continue;
  if (arg.startsWith('--')) {
    passthrough.push(arg);
    // an option's value follows it unless it is a flag of its own
    if (i + 1 < args.length && !args[i + 1].startsWith('--') && !arg.includes('=')) passthrough.push(args[++i]);
  } else names.push(arg);
}
const selected = all ? available : names.length ? available.filter((f) => names.some((n) => f.startsWith(n))) : ['proxy-throughput.bench.ts'];
if (selected.length === 0) {
  console.error(`bench: nothing matches ${names.join(' ')}; available: ${available.join(', ')}`);
  process.exit(2);
}
let failed = 0;
for (const file of selected) {
  console.error(`\n== bench/${file}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join('bench', file), ...passthrough], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
