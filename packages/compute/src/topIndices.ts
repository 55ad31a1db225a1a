/**
 * Indices of the n largest values of `v`, largest first; equal values keep the lower index first, the same tie rule
 * as `rankByProb`, so a view listing the top tokens agrees with where the top-k / top-p cut-offs fall. NaN compares
 * false with everything, so it has no defined place in the result: pass numbers.
 *
 * A partial insertion sort rather than sorting everything: n is a handful of bars while v may be a 50k vocabulary,
 * so this is O(V·n) with no allocation of size V.
 */
export function topIndices(v: ArrayLike<number>, n: number): number[] {
  const top: number[] = [];
  if (n < 1) return top;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    // Strictly greater: an equal later value loses to the earlier index already kept.
    if (top.length === n && !(x > v[top[n - 1]])) continue;
    let j = Math.min(top.length, n - 1);
    while (j > 0 && x > v[top[j - 1]]) j--;
    top.splice(j, 0, i);
    if (top.length > n) top.pop();
  }
  return top;
}
