/**
 * Indices of the n largest values, largest first, ties towards the lower index (the order compute's rankByProb uses,
 * so top-k/top-p cut-offs fall between bars). A partial insertion sort: n is small, v may be a 50k vocabulary.
 */
export function topK(v: ArrayLike<number>, n: number): number[] {
  const top: number[] = [];
  if (n < 1) return top;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (top.length === n && !(x > v[top[n - 1]])) continue;
    let j = Math.min(top.length, n - 1);
    while (j > 0 && x > v[top[j - 1]]) j--;
    top.splice(j, 0, i);
    if (top.length > n) top.pop();
  }
  return top;
}
