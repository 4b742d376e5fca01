// Picks the failed tests out of node's TAP output, so that the end of a long CI log names them:
// a CI page that shows only the log's tail otherwise says "fail 1" and not which.
// A failure is a "not ok" line and its YAML block (error, location, stack), up to the block's
// closing "..." at the same indentation. Suites that failed only because a subtest did are left
// out: the subtest's own block says more.

const MAX_BLOCK_LINES = 40;

/** @param {string} tap @returns {string[]} one text per failed test */
export function failedTests(tap) {
  const lines = tap.split('\n');
  const failures = [];
  for (let i = 0; i < lines.length; i++) {
    const match = /^(\s*)not ok \d+ - /.exec(lines[i]);
    if (!match || /# TODO\b/.test(lines[i])) continue; // a failing todo test does not fail the run
    const indent = match[1];
    const block = [lines[i]];
    let j = i + 1;
    if (lines[j]?.trim() === '---') {
      for (; j < lines.length; j++) {
        block.push(lines[j]);
        if (lines[j] === `${indent}  ...`) break;
      }
    }
    if (block.some((line) => line.includes("failureType: 'subtestsFailed'"))) continue;
    failures.push(
      block.length > MAX_BLOCK_LINES
        ? [...block.slice(0, MAX_BLOCK_LINES), `${indent}  (${block.length - MAX_BLOCK_LINES} more lines above in the log)`].join('\n')
        : block.join('\n'),
    );
  }
  return failures;
}
