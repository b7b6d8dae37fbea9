/**
 * Multiple Negatives Ranking Loss for a query-side linear adapter, with its analytic gradient,
 * and an Adam optimiser.
 *
 * For a batch of B (unit-length) base query vectors q_i, positives p_i and H hard negatives n_h:
 *   candidates c = [p_1 .. p_B, n_1 .. n_H]                       (M = B + H)
 *   u_i = W q_i + b,  z_i = u_i / |u_i|
 *   s_ij = scale * <z_i, c_j>
 *   loss = (1/B) sum_i [ logsumexp_j s_ij - s_ii ]
 * Candidates can be excluded per query (`exclude`), e.g. another pair's positive that is the same
 * document as query i's own positive, which would otherwise be a false negative.
 *
 * Gradient: with P_ij = softmax_j s_ij (over the kept candidates),
 *   dL/ds_ij = (P_ij - [j = i]) / B
 *   dL/dz_i  = scale * sum_j dL/ds_ij c_j
 *   dL/du_i  = (dL/dz_i - z_i <z_i, dL/dz_i>) / |u_i|          (through the normalisation)
 *   dL/dW    = sum_i dL/du_i q_i^T,   dL/db = sum_i dL/du_i
 *
 * Everything works on Float32Array (training) or Float64Array (gradient checks); the sums are
 * accumulated in JS doubles either way.
 */

export type Vec = Float32Array | Float64Array;

function like(x: Vec, n: number): Vec {
  return x instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

export interface MnrlInput {
  dim: number;
  /** B×d query vectors (rows unit length for the usual setting; not required). */
  queries: Vec;
  /** B×d positives: row i is query i's target. */
  positives: Vec;
  /** H×d hard negatives, shared by every query of the batch (any H >= 0). */
  negatives?: Vec;
  /** B×M flags: exclude[i*M + j] = 1 drops candidate j from query i's softmax (never j = i). */
  exclude?: Uint8Array;
  /** Logit scale (inverse temperature); default 20. */
  scale?: number;
}

/** Scratch buffers reused across batches (sized on first use, grown when needed). */
export class MnrlWorkspace {
  U: Vec = new Float32Array(0);
  Z: Vec = new Float32Array(0);
  dZ: Vec = new Float32Array(0);
  /** Candidates, contiguous M×d: positives then negatives. */
  C: Vec = new Float32Array(0);
  S: Float64Array = new Float64Array(0);
  norms: Float64Array = new Float64Array(0);

  ensure(proto: Vec, B: number, M: number, d: number): void {
    const kind64 = proto instanceof Float64Array;
    if (this.U.length < B * d || this.U instanceof Float64Array !== kind64) {
      this.U = like(proto, B * d);
      this.Z = like(proto, B * d);
      this.dZ = like(proto, B * d);
      this.norms = new Float64Array(B);
    }
    if (this.C.length < M * d || this.C instanceof Float64Array !== kind64) this.C = like(proto, M * d);
    if (this.S.length < B * M) this.S = new Float64Array(B * M);
  }
}

/**
 * The loss for one batch; when `grad` is given, also dL/dW (d×d, row-major) and dL/db (d),
 * written over whatever `grad` held.
 */
export function mnrlLoss(
  W: Vec,
  b: Vec,
  input: MnrlInput,
  grad?: { W: Vec; b: Vec },
  ws: MnrlWorkspace = new MnrlWorkspace(),
): number {
  const d = input.dim;
  const Q = input.queries;
  const B = Math.floor(Q.length / d);
  const H = input.negatives ? Math.floor(input.negatives.length / d) : 0;
  const M = B + H;
  const scale = input.scale ?? 20;
  if (B === 0) return 0;
  if (input.positives.length < B * d)
    throw new RangeError(`positives hold ${input.positives.length / d} rows, queries ${B}`);
  if (W.length !== d * d || b.length !== d) throw new RangeError(`W must be ${d}×${d} and b ${d} long`);
  const exclude = input.exclude;
  if (exclude && exclude.length < B * M) throw new RangeError(`exclude must hold B×M = ${B * M} flags`);
  ws.ensure(W, B, M, d);
  const { U, Z, dZ, S, norms, C } = ws;
  C.set(input.positives.subarray(0, B * d));
  if (H) C.set(input.negatives!.subarray(0, H * d), B * d);

  // U = Q W^T + b: W row by row (each row read once per batch), eight queries at a time so each
  // W element loaded feeds eight multiply-adds.
  for (let r = 0, wo = 0; r < d; r++, wo += d) {
    const br = b[r];
    let i = 0;
    for (; i + 7 < B; i += 8) {
      const q0 = i * d,
        q1 = q0 + d,
        q2 = q1 + d,
        q3 = q2 + d,
        q4 = q3 + d,
        q5 = q4 + d,
        q6 = q5 + d,
        q7 = q6 + d;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0,
        s4 = 0,
        s5 = 0,
        s6 = 0,
        s7 = 0;
      for (let k = 0; k < d; k++) {
        const w = W[wo + k];
        s0 += w * Q[q0 + k];
        s1 += w * Q[q1 + k];
        s2 += w * Q[q2 + k];
        s3 += w * Q[q3 + k];
        s4 += w * Q[q4 + k];
        s5 += w * Q[q5 + k];
        s6 += w * Q[q6 + k];
        s7 += w * Q[q7 + k];
      }
      U[q0 + r] = s0 + br;
      U[q1 + r] = s1 + br;
      U[q2 + r] = s2 + br;
      U[q3 + r] = s3 + br;
      U[q4 + r] = s4 + br;
      U[q5 + r] = s5 + br;
      U[q6 + r] = s6 + br;
      U[q7 + r] = s7 + br;
    }
    for (; i < B; i++) {
      const qo = i * d;
      let s0 = 0;
      for (let k = 0; k < d; k++) s0 += W[wo + k] * Q[qo + k];
      U[qo + r] = s0 + br;
    }
  }
  // Z = U / |U| row-wise.
  for (let i = 0, o = 0; i < B; i++, o += d) {
    let s = 0;
    for (let k = 0; k < d; k++) s += U[o + k] * U[o + k];
    const n = Math.sqrt(s) || 1e-12;
    norms[i] = n;
    const inv = 1 / n;
    for (let k = 0; k < d; k++) Z[o + k] = U[o + k] * inv;
  }
  // Logits, softmax, loss; S becomes dL/ds * scale (the factor dL/dz needs). Four candidates per
  // pass, so each z element loaded feeds four multiply-adds.
  let loss = 0;
  for (let i = 0, zo = 0; i < B; i++, zo += d) {
    const so = i * M;
    let j = 0;
    for (; j + 3 < M; j += 4) {
      const c0 = j * d,
        c1 = c0 + d,
        c2 = c1 + d,
        c3 = c2 + d;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let k = 0; k < d; k++) {
        const z = Z[zo + k];
        s0 += z * C[c0 + k];
        s1 += z * C[c1 + k];
        s2 += z * C[c2 + k];
        s3 += z * C[c3 + k];
      }
      S[so + j] = scale * s0;
      S[so + j + 1] = scale * s1;
      S[so + j + 2] = scale * s2;
      S[so + j + 3] = scale * s3;
    }
    for (; j < M; j++) {
      const co = j * d;
      let s0 = 0;
      for (let k = 0; k < d; k++) s0 += Z[zo + k] * C[co + k];
      S[so + j] = scale * s0;
    }
  }
  const invB = 1 / B;
  for (let i = 0; i < B; i++) {
    const so = i * M;
    let mx = -Infinity;
    for (let j = 0; j < M; j++) {
      if (j !== i && exclude && exclude[so + j]) continue;
      if (S[so + j] > mx) mx = S[so + j];
    }
    let sum = 0;
    for (let j = 0; j < M; j++) {
      if (j !== i && exclude && exclude[so + j]) continue;
      sum += Math.exp(S[so + j] - mx);
    }
    const lse = mx + Math.log(sum);
    loss += lse - S[so + i];
    if (grad) {
      for (let j = 0; j < M; j++) {
        if (j !== i && exclude && exclude[so + j]) {
          S[so + j] = 0;
          continue;
        }
        const p = Math.exp(S[so + j] - lse);
        S[so + j] = (p - (j === i ? 1 : 0)) * invB * scale;
      }
    }
  }
  loss *= invB;
  if (!grad) return loss;

  // dZ_i = sum_j G_ij c_j, four candidates per pass (one store per four multiply-adds).
  for (let i = 0, zo = 0; i < B; i++, zo += d) {
    const so = i * M;
    let j = 0;
    let first = true;
    for (; j + 3 < M; j += 4) {
      const g0 = S[so + j],
        g1 = S[so + j + 1],
        g2 = S[so + j + 2],
        g3 = S[so + j + 3];
      const c0 = j * d,
        c1 = c0 + d,
        c2 = c1 + d,
        c3 = c2 + d;
      if (first) {
        for (let k = 0; k < d; k++) dZ[zo + k] = g0 * C[c0 + k] + g1 * C[c1 + k] + g2 * C[c2 + k] + g3 * C[c3 + k];
        first = false;
      } else {
        for (let k = 0; k < d; k++) dZ[zo + k] += g0 * C[c0 + k] + g1 * C[c1 + k] + g2 * C[c2 + k] + g3 * C[c3 + k];
      }
    }
    if (first) dZ.fill(0, zo, zo + d);
    for (; j < M; j++) {
      const g = S[so + j];
      if (g === 0) continue;
      const co = j * d;
      for (let k = 0; k < d; k++) dZ[zo + k] += g * C[co + k];
    }
  }
  // dU_i = (dZ_i - z_i <z_i, dZ_i>) / |u_i|, stored in dZ.
  for (let i = 0, o = 0; i < B; i++, o += d) {
    let zd = 0;
    for (let k = 0; k < d; k++) zd += Z[o + k] * dZ[o + k];
    const inv = 1 / norms[i];
    for (let k = 0; k < d; k++) dZ[o + k] = (dZ[o + k] - Z[o + k] * zd) * inv;
  }
  // dW = dU^T Q, db = sum_i dU_i: row r of dW is sum_i dU_i[r] q_i, eight queries per pass so
  // each dW element is stored once per eight multiply-adds. The first pass writes (no zeroing).
  const gW = grad.W;
  const gb = grad.b;
  for (let r = 0, wo = 0; r < d; r++, wo += d) {
    let sb = 0;
    let i = 0;
    let first = true;
    for (; i + 7 < B; i += 8) {
      const q0 = i * d,
        q1 = q0 + d,
        q2 = q1 + d,
        q3 = q2 + d,
        q4 = q3 + d,
        q5 = q4 + d,
        q6 = q5 + d,
        q7 = q6 + d;
      const a0 = dZ[q0 + r],
        a1 = dZ[q1 + r],
        a2 = dZ[q2 + r],
        a3 = dZ[q3 + r];
      const a4 = dZ[q4 + r],
        a5 = dZ[q5 + r],
        a6 = dZ[q6 + r],
        a7 = dZ[q7 + r];
      sb += a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
      if (first) {
        for (let k = 0; k < d; k++) {
          gW[wo + k] =
            a0 * Q[q0 + k] +
            a1 * Q[q1 + k] +
            a2 * Q[q2 + k] +
            a3 * Q[q3 + k] +
            a4 * Q[q4 + k] +
            a5 * Q[q5 + k] +
            a6 * Q[q6 + k] +
            a7 * Q[q7 + k];
        }
        first = false;
      } else {
        for (let k = 0; k < d; k++) {
          gW[wo + k] +=
            a0 * Q[q0 + k] +
            a1 * Q[q1 + k] +
            a2 * Q[q2 + k] +
            a3 * Q[q3 + k] +
            a4 * Q[q4 + k] +
            a5 * Q[q5 + k] +
            a6 * Q[q6 + k] +
            a7 * Q[q7 + k];
        }
      }
    }
    for (; i < B; i++) {
      const qo = i * d;
      const a = dZ[qo + r];
      sb += a;
      if (first) {
        for (let k = 0; k < d; k++) gW[wo + k] = a * Q[qo + k];
        first = false;
      } else {
        for (let k = 0; k < d; k++) gW[wo + k] += a * Q[qo + k];
      }
    }
    gb[r] = sb;
  }
  return loss;
}

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /**
   * Decoupled weight decay (AdamW style) toward an anchor (for an adapter: W toward I, b toward
   * 0): after each step, x -= lr * weightDecay * (x - anchor).
   */
  weightDecay?: number;
}

/** Adam over one parameter array. */
export class Adam {
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private t = 0;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;

  constructor(
    size: number,
    readonly opts: AdamOptions,
  ) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
  }

  get steps(): number {
    return this.t;
  }

  /**
   * One update of `x` from gradient `g`. Weight decay pulls toward 0, or toward the identity
   * matrix when `identityDim` is given (x is then a row-major identityDim² matrix).
   */
  step(x: Vec, g: Vec, identityDim?: number, lr = this.opts.lr): void {
    this.t++;
    const { m, v, beta1: b1, beta2: b2, eps } = this;
    const c1 = 1 / (1 - Math.pow(b1, this.t));
    const c2 = 1 / (1 - Math.pow(b2, this.t));
    const wd = (this.opts.weightDecay ?? 0) * lr;
    const n = x.length;
    const diag = identityDim ? identityDim + 1 : 0;
    for (let i = 0; i < n; i++) {
      const gi = g[i];
      const mi = (m[i] = b1 * m[i] + (1 - b1) * gi);
      const vi = (v[i] = b2 * v[i] + (1 - b2) * gi * gi);
      let xi = x[i] - (lr * mi * c1) / (Math.sqrt(vi * c2) + eps);
      if (wd) xi -= wd * (xi - (diag && i % diag === 0 ? 1 : 0));
      x[i] = xi;
    }
  }
}
