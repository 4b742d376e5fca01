/**
 * Redaction quality report: `npm run eval:redaction`.
 *
 * Scores the built-in detectors against the Presidio synthetic dataset (MIT,
 * microsoft/presidio-research), expected at ../shared/data/presidio_synth_dataset_v2.json relative
 * to the repository root (override with WARDEN_PRESIDIO_DATASET), and checks the benign corpus in
 * test/fixtures/benign-corpus/ comes out unchanged.
 *
 * Recall per type: a labelled value counts as found when it no longer appears in the redacted
 * text (whichever detector removed it); `typed recall` also wants our detector of that type to
 * overlap it. Precision per type: our findings of that type that overlap a labelled span of that
 * type, over all our findings of that type.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILTIN_DETECTORS } from '../src/redact/detectors/index.ts';
import type { Finding } from '../src/redact/finding.ts';
import { Scanner } from '../src/redact/scanner.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DATASET_PATH = process.env.WARDEN_PRESIDIO_DATASET ?? resolve(ROOT, '../shared/data/presidio_synth_dataset_v2.json');
export const BENIGN_DIR = join(ROOT, 'test/fixtures/benign-corpus');

/** Presidio label → our entity type (labels we do not detect are not scored). */
export const LABEL_MAP: Readonly<Record<string, string>> = {
  CREDIT_CARD: 'CREDIT_CARD',
  EMAIL_ADDRESS: 'EMAIL_ADDRESS',
  IBAN_CODE: 'IBAN_CODE',
  US_SSN: 'US_SSN',
  IP_ADDRESS: 'IP_ADDRESS',
  PHONE_NUMBER: 'PHONE_NUMBER',
};

export const TARGETS: Readonly<Record<string, { recall: number; precision?: number }>> = {
  CREDIT_CARD: { recall: 0.98, precision: 0.95 },
  EMAIL_ADDRESS: { recall: 0.98, precision: 0.95 },
  IBAN_CODE: { recall: 0.98, precision: 0.95 },
  US_SSN: { recall: 0.98, precision: 0.95 },
  IP_ADDRESS: { recall: 0.98, precision: 0.95 },
  PHONE_NUMBER: { recall: 0.9 },
};

interface Sample {
  full_text: string;
  spans: { entity_type: string; entity_value: string; start_position: number; end_position: number }[];
}

export interface TypeScore {
  type: string;
  labelled: number;
  found: number;
  typedFound: number;
  predicted: number;
  truePositive: number;
  recall: number;
  typedRecall: number;
  precision: number;
}

export interface Miss {
  type: string;
  value: string;
}

function mask(text: string, findings: readonly Finding[]): string {
  let out = '';
  let at = 0;
  for (const f of findings) {
    out += text.slice(at, f.start) + `[REDACTED:${f.type}]`;
    at = f.end;
  }
  return out + text.slice(at);
}

export function loadDataset(path = DATASET_PATH): Sample[] {
  if (!existsSync(path)) {
    throw new Error(
      `Presidio dataset not found at ${path}. It is expected beside the clone at ../shared/data/presidio_synth_dataset_v2.json ` +
        '(microsoft/presidio-research, MIT); set WARDEN_PRESIDIO_DATASET to point elsewhere.',
    );
  }
  return JSON.parse(readFileSync(path, 'utf8')) as Sample[];
}

export function scoreDataset(samples: readonly Sample[], scanner = new Scanner(BUILTIN_DETECTORS)) {
  const scores = new Map<string, TypeScore>();
  const score = (type: string) => {
    let s = scores.get(type);
    if (s === undefined) {
      s = { type, labelled: 0, found: 0, typedFound: 0, predicted: 0, truePositive: 0, recall: 0, typedRecall: 0, precision: 0 };
      scores.set(type, s);
    }
    return s;
  };
  const misses: Miss[] = [];
  const falsePositives: Miss[] = [];
  for (const sample of samples) {
    const findings = scanner.scan(sample.full_text);
    const redacted = mask(sample.full_text, findings);
    const labelled = sample.spans
      .filter((s) => LABEL_MAP[s.entity_type] !== undefined)
      .map((s) => ({ type: LABEL_MAP[s.entity_type] as string, start: s.start_position, end: s.end_position, value: s.entity_value }));
    for (const l of labelled) {
      const s = score(l.type);
      s.labelled++;
      if (!redacted.includes(l.value)) s.found++;
      else misses.push({ type: l.type, value: l.value });
      if (findings.some((f) => f.type === l.type && f.start < l.end && l.start < f.end)) s.typedFound++;
    }
    for (const f of findings) {
      const s = score(f.type);
      s.predicted++;
      if (labelled.some((l) => l.type === f.type && f.start < l.end && l.start < f.end)) s.truePositive++;
      else falsePositives.push({ type: f.type, value: sample.full_text.slice(Math.max(0, f.start - 20), f.end + 10) });
    }
  }
  for (const s of scores.values()) {
    s.recall = s.labelled === 0 ? 1 : s.found / s.labelled;
    s.typedRecall = s.labelled === 0 ? 1 : s.typedFound / s.labelled;
    s.precision = s.predicted === 0 ? 1 : s.truePositive / s.predicted;
  }
  return { scores: [...scores.values()].sort((a, b) => a.type.localeCompare(b.type)), misses, falsePositives };
}

/** Every line of every file in the benign corpus; each must come out of the scanner untouched. */
export function loadBenignCorpus(dir = BENIGN_DIR): { file: string; line: number; text: string }[] {
  const out: { file: string; line: number; text: string }[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .forEach((text, i) => {
        if (text.trim() !== '' && !text.startsWith('#')) out.push({ file, line: i + 1, text });
      });
  }
  return out;
}

export function benignChanges(scanner = new Scanner(BUILTIN_DETECTORS)) {
  return loadBenignCorpus()
    .map((entry) => ({ ...entry, findings: scanner.scan(entry.text) }))
    .filter((e) => e.findings.length > 0)
    .map((e) => ({ file: e.file, line: e.line, types: e.findings.map((f) => f.type), output: mask(e.text, e.findings) }));
}

function pct(x: number): string {
  return x.toFixed(3);
}

function main(): number {
  let samples: Sample[];
  try {
    samples = loadDataset();
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  const { scores, misses, falsePositives } = scoreDataset(samples);
  const verbose = process.argv.includes('--verbose');
  console.log(`Presidio synthetic dataset v2: ${samples.length} samples (${DATASET_PATH})\n`);
  console.log('| entity type | labelled | recall | typed recall | predicted | precision | target |');
  console.log('|---|---:|---:|---:|---:|---:|---|');
  let failed = false;
  for (const s of scores) {
    const t = TARGETS[s.type];
    let verdict = '';
    if (t !== undefined) {
      const ok = s.recall >= t.recall && (t.precision === undefined || s.precision >= t.precision);
      failed ||= !ok;
      verdict = `${ok ? 'met' : 'MISSED'} (R ≥ ${t.recall}${t.precision === undefined ? '' : `, P ≥ ${t.precision}`})`;
    }
    console.log(`| ${s.type} | ${s.labelled} | ${pct(s.recall)} | ${pct(s.typedRecall)} | ${s.predicted} | ${pct(s.precision)} | ${verdict} |`);
  }
  if (verbose) {
    console.log('\nmissed:');
    for (const m of misses) console.log(`  ${m.type}: ${JSON.stringify(m.value)}`);
    console.log('\nfalse positives (with context):');
    for (const f of falsePositives) console.log(`  ${f.type}: ${JSON.stringify(f.value)}`);
  }
  const corpus = loadBenignCorpus();
  const changed = benignChanges();
  console.log(`\nBenign corpus: ${corpus.length} strings, ${changed.length} changed`);
  for (const c of changed) console.log(`  ${c.file}:${c.line} [${c.types.join(', ')}] ${JSON.stringify(c.output)}`);
  failed ||= changed.length > 0;
  return failed ? 1 : 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
