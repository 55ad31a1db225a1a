/**
 * Display math for the embedding space: a 2-D PCA of the token embedding matrix W_E [V, d], cosine nearest
 * neighbours, and vector arithmetic. None of it is model math; it is how the lab draws the model's numbers.
 */

export interface EmbeddingMatrix {
  rows: number;
  cols: number;
  data: ArrayLike<number>;
}

export interface Pca2 {
  /** [rows, 2]: each row's coordinates along the two principal components. */
  points: Float32Array;
  /** The two unit directions in R^d. */
  components: [Float64Array, Float64Array];
  /** Fraction of the total variance each component explains. */
  explained: [number, number];
}

/** Above this many multiply-adds the covariance is estimated from a subsample of rows (all rows are projected). */
const COVARIANCE_BUDGET = 2e8;
const MAX_ITERATIONS = 300;
const TOLERANCE = 1e-10;

/**
 * The two principal components of the rows (centred), by power iteration on the d × d covariance with deflation.
 * `previous` (the last frame's PCA) warm-starts the iteration and fixes each component's sign so that the picture
 * does not flip between frames while the model trains; without it the sign makes the largest entry positive.
 */
export function pca2(m: EmbeddingMatrix, previous: Pca2 | null = null): Pca2 {
  const { rows, cols, data } = m;
  const mean = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[c] += data[r * cols + c];
  for (let c = 0; c < cols; c++) mean[c] /= Math.max(1, rows);

  const stride = Math.max(1, Math.ceil((rows * cols * cols) / COVARIANCE_BUDGET));
  const cov = new Float64Array(cols * cols);
  const x = new Float64Array(cols);
  let n = 0;
  for (let r = 0; r < rows; r += stride) {
    for (let c = 0; c < cols; c++) x[c] = data[r * cols + c] - mean[c];
    for (let i = 0; i < cols; i++) {
      const xi = x[i];
      if (xi === 0) continue;
      for (let j = i; j < cols; j++) cov[i * cols + j] += xi * x[j];
    }
    n++;
  }
  for (let i = 0; i < cols; i++) {
    for (let j = i; j < cols; j++) {
      cov[i * cols + j] /= Math.max(1, n);
      cov[j * cols + i] = cov[i * cols + j];
    }
  }
  let total = 0;
  for (let i = 0; i < cols; i++) total += cov[i * cols + i];

  const v1 = powerIteration(cov, cols, previous?.components[0] ?? null, null);
  const l1 = rayleigh(cov, cols, v1);
  const v2 = powerIteration(cov, cols, previous?.components[1] ?? null, v1);
  const l2 = rayleigh(cov, cols, v2);
  orient(v1, previous?.components[0] ?? null);
  orient(v2, previous?.components[1] ?? null);

  const points = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++) {
    let a = 0;
    let b = 0;
    for (let c = 0; c < cols; c++) {
      const xc = data[r * cols + c] - mean[c];
      a += xc * v1[c];
      b += xc * v2[c];
    }
    points[r * 2] = a;
    points[r * 2 + 1] = b;
  }
  const frac = (l: number) => (total > 0 ? Math.max(0, l) / total : 0);
  return { points, components: [v1, v2], explained: [frac(l1), frac(l2)] };
}

/** The dominant eigenvector of the symmetric matrix, orthogonal to `against` when given. */
function powerIteration(
  a: Float64Array,
  d: number,
  start: Float64Array | null,
  against: Float64Array | null,
): Float64Array {
  let v = new Float64Array(d);
  if (start && start.length === d) v.set(start);
  // A fixed, non-symmetric start (never orthogonal to every eigenvector in practice), so results are reproducible.
  else for (let i = 0; i < d; i++) v[i] = 1 + ((i * 0.618034) % 1);
  if (against) project(v, against);
  if (!normalize(v)) {
    v = new Float64Array(d);
    v[against && Math.abs(against[0]) > 0.9 ? 1 % d : 0] = 1;
    if (against) project(v, against);
    normalize(v);
  }
  const w = new Float64Array(d);
  for (let it = 0; it < MAX_ITERATIONS; it++) {
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += a[i * d + j] * v[j];
      w[i] = s;
    }
    if (against) project(w, against);
    if (!normalize(w)) return v; // the matrix is zero in the remaining directions: any unit vector will do
    let diff = 0;
    for (let i = 0; i < d; i++) diff += (w[i] - v[i]) ** 2;
    v.set(w);
    if (diff < TOLERANCE) break;
  }
  return v;
}

function project(v: Float64Array, u: Float64Array): void {
  let dot = 0;
  for (let i = 0; i < v.length; i++) dot += v[i] * u[i];
  for (let i = 0; i < v.length; i++) v[i] -= dot * u[i];
}

function normalize(v: Float64Array): boolean {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  if (!(n > 1e-300)) return false;
  for (let i = 0; i < v.length; i++) v[i] /= n;
  return true;
}

function rayleigh(a: Float64Array, d: number, v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < d; i++) {
    let w = 0;
    for (let j = 0; j < d; j++) w += a[i * d + j] * v[j];
    s += v[i] * w;
  }
  return s;
}

/** Flip v to agree with the previous direction, or else to make its largest entry positive. */
function orient(v: Float64Array, previous: Float64Array | null): void {
  let sign = 1;
  if (previous && previous.length === v.length) {
    let dot = 0;
    for (let i = 0; i < v.length; i++) dot += v[i] * previous[i];
    sign = dot < 0 ? -1 : 1;
  } else {
    let big = 0;
    for (const x of v) if (Math.abs(x) > Math.abs(big)) big = x;
    sign = big < 0 ? -1 : 1;
  }
  if (sign < 0) for (let i = 0; i < v.length; i++) v[i] = -v[i];
}

export interface Neighbour {
  id: number;
  /** Cosine similarity, in [−1, 1]. */
  cosine: number;
}

/** The k rows most similar to `vector` by cosine, most similar first (ties: lower id first), skipping `exclude`. */
export function nearestByCosine(
  m: EmbeddingMatrix,
  vector: ArrayLike<number>,
  k: number,
  exclude: ReadonlySet<number> = new Set(),
): Neighbour[] {
  const { rows, cols, data } = m;
  let vn = 0;
  for (let c = 0; c < cols; c++) vn += vector[c] * vector[c];
  vn = Math.sqrt(vn);
  const out: Neighbour[] = [];
  for (let r = 0; r < rows; r++) {
    if (exclude.has(r)) continue;
    let dot = 0;
    let rn = 0;
    for (let c = 0; c < cols; c++) {
      const x = data[r * cols + c];
      dot += x * vector[c];
      rn += x * x;
    }
    const denom = Math.sqrt(rn) * vn;
    out.push({ id: r, cosine: denom > 0 ? dot / denom : 0 });
  }
  out.sort((a, b) => b.cosine - a.cosine || a.id - b.id);
  return out.slice(0, k);
}

export function embeddingRow(m: EmbeddingMatrix, id: number): Float64Array {
  const v = new Float64Array(m.cols);
  for (let c = 0; c < m.cols; c++) v[c] = m.data[id * m.cols + c];
  return v;
}

/** Nearest neighbours of token `id` (itself excluded). */
export function neighboursOf(m: EmbeddingMatrix, id: number, k: number): Neighbour[] {
  return nearestByCosine(m, embeddingRow(m, id), k, new Set([id]));
}

/** a − b + c, and the tokens nearest to it (a, b and c themselves excluded, as is usual for analogies). */
export function vectorArithmetic(
  m: EmbeddingMatrix,
  a: number,
  b: number,
  c: number,
  k: number,
): { vector: Float64Array; nearest: Neighbour[] } {
  const va = embeddingRow(m, a);
  const vb = embeddingRow(m, b);
  const vc = embeddingRow(m, c);
  const vector = new Float64Array(m.cols);
  for (let i = 0; i < m.cols; i++) vector[i] = va[i] - vb[i] + vc[i];
  return { vector, nearest: nearestByCosine(m, vector, k, new Set([a, b, c])) };
}

/**
 * The id of a token typed by a student: its exact display string, else the same with a leading space (BPE words
 * start with one, shown as '·' or 'Ġ'), else case-insensitively. Null when the vocabulary has no such token.
 */
export function findToken(vocab: readonly string[], typed: string): number | null {
  const t = typed.replace(/·/g, ' ');
  if (t === '') return null;
  const candidates = [t, ` ${t.trimStart()}`, `Ġ${t.trimStart()}`];
  for (const c of candidates) {
    const i = vocab.indexOf(c);
    if (i >= 0) return i;
  }
  const lower = t.trim().toLowerCase();
  const i = vocab.findIndex((v) => v.trim().toLowerCase() === lower);
  return i >= 0 ? i : null;
}
