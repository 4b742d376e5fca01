import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { DATASET_PATH, TARGETS, benignChanges, loadBenignCorpus, loadDataset, scoreDataset } from '../../../scripts/eval-redaction.ts';

describe('redaction quality', () => {
  it('the benign corpus comes out unchanged', () => {
    const corpus = loadBenignCorpus();
    assert.ok(corpus.length >= 300, `benign corpus has ${corpus.length} strings`);
    assert.deepEqual(benignChanges(), []);
  });

  // No skip: CI has ../shared beside the clone; a missing dataset is a failure that says where it looked.
  it('meets the per-type targets on the Presidio synthetic dataset', () => {
    assert.ok(existsSync(DATASET_PATH), `Presidio dataset missing at ${DATASET_PATH} (expected ../shared/data/ beside the repository)`);
    const { scores } = scoreDataset(loadDataset());
    for (const [type, target] of Object.entries(TARGETS)) {
      const s = scores.find((x) => x.type === type);
      assert.ok(s !== undefined && s.labelled > 0, `${type}: no labelled spans`);
      assert.ok(s.recall >= target.recall, `${type}: recall ${s.recall.toFixed(3)} < ${target.recall}`);
      if (target.precision !== undefined) assert.ok(s.precision >= target.precision, `${type}: precision ${s.precision.toFixed(3)} < ${target.precision}`);
    }
  });
});
