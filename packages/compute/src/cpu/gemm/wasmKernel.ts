/**
 * The WebAssembly SIMD micro-kernels, emitted as bytes by a tiny encoder so the repo needs no assembler.
 *
 * `mm` computes a block of C += A·B on float32 data already in the module's memory:
 *
 *   mm(a, ars, acs, b, ldb, c, ldc, mPanels, nPanels, kc, loadC)
 *     A(i, p) at byte a + i·ars + p·acs   (rows × reduction; any strides, so Aᵀ needs no copy)
 *     B(p, j) at byte b + p·ldb + 4j      (reduction × columns, columns contiguous)
 *     C(i, j) at byte c + i·ldc + 4j
 *   for every tile of MR rows × NR columns (mPanels·MR rows, nPanels·NR columns, so the caller pads to whole
 *   tiles), C = (loadC ? C : 0) + Σ_{p<kc} A(i, p)·B(p, j).  kc, mPanels and nPanels must be ≥ 1.
 *
 * Each tile keeps MR·NR/4 f32x4 accumulators in registers; per step of p it loads NR/4 vectors of B, broadcasts
 * one value of A per row (v128.load32_splat) and does MR·NR/4 multiply-adds — fused (relaxed_madd) when the
 * engine has relaxed SIMD, else mul + add. Tiles run column panel outer, row panel inner, so one K×NR panel of B
 * stays in L1 while the rows of A stream past it.
 *
 * `dot` computes a block of C += A·Bᵀ with both operands row-major over the reduction, so 'nt' needs no
 * transpose (which would cost as much as the multiply when A has few rows, as in decoding):
 *
 *   dot(a, lda, b, ldb, c, ldc, mPanels, nPanels, k4, loadC)
 *     A(i, p) at byte a + i·lda + 4p,  B(j, p) at byte b + j·ldb + 4p,  C(i, j) at byte c + i·ldc + 4j
 *   for tiles of MR rows × DN columns, C = (loadC ? C : 0) + Σ_{p<4·k4} A(i, p)·B(j, p). Each accumulator sums
 *   four interleaved partial dot products, added across lanes once per tile.
 *
 * `mm1` and `dot1` take the same arguments for tiles of one row (× NR1 or DN1 columns): with a single row of A
 * (decoding) the MR-row tiles would do MR times the work. Each output is the same sequence of operations in the same
 * order as in `mm` and `dot`, so the results are identical.
 */

/** Rows per register tile. */
export const MR = 4;
/** f32x4 vectors per tile row; NR = 4·NV columns. */
const NV = 2;
/** Columns per register tile. */
export const NR = 4 * NV;
/** Columns per `dot` tile (rows of B read together). */
export const DN = 2;
/** f32x4 vectors per tile row of `mm1`, the single-row `mm` (decoding); NR1 = 4·NV1 columns. */
const NV1 = 8;
/** Columns per tile of `mm1`. */
export const NR1 = 4 * NV1;
/** Columns per tile of `dot1`, the single-row `dot`. */
export const DN1 = 4;

// ---- a minimal WebAssembly binary encoder -------------------------------------------------------------------

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];
}

const I32 = 0x7f;
const V128 = 0x7b;

// Core opcodes.
const LOOP_VOID = [0x03, 0x40];
const IF_VOID = [0x04, 0x40];
const SELECT = 0x1b;
const F32_ADD = 0x92;
const ELSE = 0x05;
const END = 0x0b;
const BR_IF = 0x0d;
const I32_SUB = 0x6b;
const I32_ADD = 0x6a;
const I32_MUL = 0x6c;
const I32_LT_U = 0x49;

const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const tee = (i: number) => [0x22, ...uleb(i)];
const i32 = (v: number) => [0x41, ...sleb(v)];
const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
const memarg = (alignLog2: number, offset: number) => [...uleb(alignLog2), ...uleb(offset)];

const f32Load = (offset: number) => [0x2a, ...memarg(2, offset)];
const f32Store = (offset: number) => [0x38, ...memarg(2, offset)];
const f32Zero = [0x43, 0, 0, 0, 0];
const v128Load = (offset: number) => simd(0x00, ...memarg(4, offset));
const v128Load32Splat = (offset: number) => simd(0x09, ...memarg(2, offset));
const v128Store = (offset: number) => simd(0x0b, ...memarg(4, offset));
const v128Zero = simd(0x0c, ...new Array(16).fill(0));
const F32X4_ADD = simd(0xe4);
const F32X4_MUL = simd(0xe6);
const F32X4_RELAXED_MADD = simd(0x105);
const f32x4ExtractLane = (lane: number) => simd(0x1f, lane);

/** Locals after the parameters: a counter for each type, and the declaration the code section needs. */
class Locals {
  private next: number;
  private readonly counts: [number, number][] = [];
  constructor(params: number) {
    this.next = params;
  }
  add(type: number, n: number): number[] {
    this.counts.push([n, type]);
    return Array.from({ length: n }, () => this.next++);
  }
  declaration(): number[] {
    return vec(this.counts.map(([n, type]) => [...uleb(n), type]));
  }
}

/** acc += x·y, fused under relaxed SIMD. */
function madd(relaxed: boolean, acc: number, x: number, y: number): number[] {
  return relaxed
    ? [...get(x), ...get(y), ...get(acc), ...F32X4_RELAXED_MADD, ...set(acc)]
    : [...get(acc), ...get(x), ...get(y), ...F32X4_MUL, ...F32X4_ADD, ...set(acc)];
}

/** Body of `mm` (see the top of the file) for tiles of MR rows × 4·NV columns. */
function mmBody(relaxed: boolean, MR: number, NV: number): number[] {
  const NR = 4 * NV;
  const [a, ars, acs, b, ldb, c, ldc, mP, nP, kc, loadC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const L = new Locals(11);
  const [jp, ip, p, pb, pc, row] = L.add(I32, 6);
  const pa = L.add(I32, MR);
  const accFlat = L.add(V128, MR * NV);
  const acc = Array.from({ length: MR }, (_, r) => accFlat.slice(r * NV, (r + 1) * NV));
  // One row: each vector of B is used once, so it is loaded right before its multiply-add (fewer live registers).
  const bv = L.add(V128, MR === 1 ? 1 : NV);
  const [av] = L.add(V128, 1);

  const code: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const part of parts) code.push(...part);
  };
  // C row r of the current tile: pc + r·ldc, left on the stack.
  const cRow = (r: number) => (r === 0 ? get(pc) : [...get(pc), ...get(ldc), ...i32(r), I32_MUL, I32_ADD]);

  emit(i32(0), set(jp));
  emit(LOOP_VOID); // column panels
  emit(i32(0), set(ip));
  emit(LOOP_VOID); // row panels
  // pa[0] = a + ip·MR·ars; pa[r] = pa[r-1] + ars
  emit(get(a), get(ip), i32(MR), [I32_MUL], get(ars), [I32_MUL], [I32_ADD], set(pa[0]));
  for (let r = 1; r < MR; r++) emit(get(pa[r - 1]), get(ars), [I32_ADD], set(pa[r]));
  // pb = b + jp·NR·4
  emit(get(b), get(jp), i32(NR * 4), [I32_MUL], [I32_ADD], set(pb));
  // pc = c + ip·MR·ldc + jp·NR·4
  emit(get(c), get(ip), i32(MR), [I32_MUL], get(ldc), [I32_MUL], [I32_ADD]);
  emit(get(jp), i32(NR * 4), [I32_MUL], [I32_ADD], set(pc));
  // accumulators start from C or from zero
  emit(get(loadC), IF_VOID);
  for (let r = 0; r < MR; r++) {
    emit(cRow(r), set(row));
    for (let v = 0; v < NV; v++) emit(get(row), v128Load(16 * v), set(acc[r][v]));
  }
  emit([ELSE]);
  for (let r = 0; r < MR; r++) for (let v = 0; v < NV; v++) emit(v128Zero, set(acc[r][v]));
  emit([END]);
  // the reduction
  emit(get(kc), set(p));
  emit(LOOP_VOID);
  if (MR === 1) {
    emit(get(pa[0]), v128Load32Splat(0), set(av));
    for (let v = 0; v < NV; v++) emit(get(pb), v128Load(16 * v), set(bv[0]), madd(relaxed, acc[0][v], av, bv[0]));
  } else {
    for (let v = 0; v < NV; v++) emit(get(pb), v128Load(16 * v), set(bv[v]));
    for (let r = 0; r < MR; r++) {
      emit(get(pa[r]), v128Load32Splat(0), set(av));
      for (let v = 0; v < NV; v++) emit(madd(relaxed, acc[r][v], av, bv[v]));
    }
  }
  for (let r = 0; r < MR; r++) emit(get(pa[r]), get(acs), [I32_ADD], set(pa[r]));
  emit(get(pb), get(ldb), [I32_ADD], set(pb));
  emit(get(p), i32(1), [I32_SUB], tee(p), [BR_IF, 0]);
  emit([END]);
  for (let r = 0; r < MR; r++) {
    emit(cRow(r), set(row));
    for (let v = 0; v < NV; v++) emit(get(row), get(acc[r][v]), v128Store(16 * v));
  }
  emit(get(ip), i32(1), [I32_ADD], tee(ip), get(mP), [I32_LT_U, BR_IF, 0]);
  emit([END]);
  emit(get(jp), i32(1), [I32_ADD], tee(jp), get(nP), [I32_LT_U, BR_IF, 0]);
  emit([END]);
  emit([END]);
  return [...L.declaration(), ...code];
}

/** Body of `dot` (see the top of the file) for tiles of MR rows × DN columns. */
function dotBody(relaxed: boolean, MR: number, DN: number): number[] {
  const [a, lda, b, ldb, c, ldc, mP, nP, k4, loadC] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const L = new Locals(10);
  const [jp, ip, p, pc, row] = L.add(I32, 5);
  const pa = L.add(I32, MR);
  const pb = L.add(I32, DN);
  const accFlat = L.add(V128, MR * DN);
  const acc = Array.from({ length: MR }, (_, r) => accFlat.slice(r * DN, (r + 1) * DN));
  const bv = L.add(V128, DN);
  const [av] = L.add(V128, 1);

  const code: number[] = [];
  const emit = (...parts: number[][]) => {
    for (const part of parts) code.push(...part);
  };

  emit(i32(0), set(jp));
  emit(LOOP_VOID); // column panels
  emit(i32(0), set(ip));
  emit(LOOP_VOID); // row panels
  emit(get(a), get(ip), i32(MR), [I32_MUL], get(lda), [I32_MUL], [I32_ADD], set(pa[0]));
  for (let r = 1; r < MR; r++) emit(get(pa[r - 1]), get(lda), [I32_ADD], set(pa[r]));
  emit(get(b), get(jp), i32(DN), [I32_MUL], get(ldb), [I32_MUL], [I32_ADD], set(pb[0]));
  for (let j = 1; j < DN; j++) emit(get(pb[j - 1]), get(ldb), [I32_ADD], set(pb[j]));
  for (const v of accFlat) emit(v128Zero, set(v));
  emit(get(k4), set(p));
  emit(LOOP_VOID);
  for (let j = 0; j < DN; j++) emit(get(pb[j]), v128Load(0), set(bv[j]));
  for (let r = 0; r < MR; r++) {
    emit(get(pa[r]), v128Load(0), set(av));
    for (let j = 0; j < DN; j++) emit(madd(relaxed, acc[r][j], av, bv[j]));
  }
  for (const q of [...pa, ...pb]) emit(get(q), i32(16), [I32_ADD], set(q));
  emit(get(p), i32(1), [I32_SUB], tee(p), [BR_IF, 0]);
  emit([END]);
  // C(i, j) = (loadC ? C(i, j) : 0) + the four lanes of acc, summed pairwise
  emit(get(c), get(ip), i32(MR), [I32_MUL], get(ldc), [I32_MUL], [I32_ADD]);
  emit(get(jp), i32(DN * 4), [I32_MUL], [I32_ADD], set(pc));
  for (let r = 0; r < MR; r++) {
    emit(r === 0 ? get(pc) : [...get(pc), ...get(ldc), ...i32(r), I32_MUL, I32_ADD], set(row));
    for (let j = 0; j < DN; j++) {
      const v = acc[r][j];
      emit(get(row));
      emit(get(v), f32x4ExtractLane(0), get(v), f32x4ExtractLane(1), [F32_ADD]);
      emit(get(v), f32x4ExtractLane(2), get(v), f32x4ExtractLane(3), [F32_ADD], [F32_ADD]);
      emit(get(row), f32Load(4 * j), f32Zero, get(loadC), [SELECT], [F32_ADD]);
      emit(f32Store(4 * j));
    }
  }
  emit(get(ip), i32(1), [I32_ADD], tee(ip), get(mP), [I32_LT_U, BR_IF, 0]);
  emit([END]);
  emit(get(jp), i32(1), [I32_ADD], tee(jp), get(nP), [I32_LT_U, BR_IF, 0]);
  emit([END]);
  emit([END]);
  return [...L.declaration(), ...code];
}

/**
 * The module bytes. `relaxed` uses f32x4.relaxed_madd (a·b + c, fused where the hardware can), which only engines
 * with relaxed SIMD accept; the plain module needs only simd128.
 */
export function gemmModuleBytes(relaxed: boolean): Uint8Array<ArrayBuffer> {
  const funcType = (params: number) => [0x60, ...vec(new Array(params).fill([I32])), ...vec([])];
  const bodies = [mmBody(relaxed, MR, NV), dotBody(relaxed, MR, DN), mmBody(relaxed, 1, NV1), dotBody(relaxed, 1, DN1)];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // \0asm, version 1
    ...section(1, vec([funcType(11), funcType(10)])), // mm, mm1: (i32 × 11) → (), dot, dot1: (i32 × 10) → ()
    ...section(3, vec([uleb(0), uleb(1), uleb(0), uleb(1)])),
    ...section(5, vec([[0x00, ...uleb(1)]])), // one memory, 1 page to start, grown from JS
    ...section(
      7,
      vec([
        [...name('memory'), 0x02, 0x00],
        [...name('mm'), 0x00, 0x00],
        [...name('dot'), 0x00, 0x01],
        [...name('mm1'), 0x00, 0x02],
        [...name('dot1'), 0x00, 0x03],
      ]),
    ),
    ...section(10, vec(bodies.map((body) => [...uleb(body.length), ...body]))),
  ];
  return new Uint8Array(bytes);
}
