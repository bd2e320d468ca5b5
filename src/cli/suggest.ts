// "Did you mean …?": the closest known word to a mistyped one, by edit distance.
// Hand-written (a dozen lines) because the npm ones ship without types and this runs once per typo.

/** Edit distance with insertions, deletions, substitutions and swaps of neighbours (--prot), each costing one. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(rows[i - 1][j] + 1, row[j - 1] + 1, rows[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j], rows[i - 2][j - 2] + 1);
    }
    rows.push(row);
  }
  return rows[a.length][b.length];
}

/**
 * The candidate nearest to `word`, if it is near enough to be a typo or `word` is its prefix. Near enough: fewer
 * than 60 % of the longer word's letters off (as commander.js), so one change in a four-letter name matches and
 * `alfa` finds `alpha` (a substitution and an insertion in five letters), while `tiles` finds no command.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestSimilarity = 0;
  for (const candidate of candidates) {
    const similarity =
      candidate.startsWith(word) && word.length >= 3 ? 1 : 1 - editDistance(word, candidate) / Math.max(word.length, candidate.length);
    if (similarity > bestSimilarity) {
      best = candidate;
      bestSimilarity = similarity;
    }
  }
  return bestSimilarity > 0.4 ? best : undefined;
}
