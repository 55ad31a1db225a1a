import { fail } from '../errors';
import type { Tensor } from '../tensor';
import { zerosLike } from '../tensor';

/**
 * Next-token cross-entropy. For one sequence with logits z: [T, V] and targets y (length T), position t costs
 *   ℓ_t = −log softmax(z_t)[y_t] = logsumexp(z_t) − z_t[y_t]
 * and the training loss is the mean of ℓ over all N = B·T positions of the batch.
 */

/** Per-position losses ℓ_t: [T], in float64 whatever the logits' dtype (they are summed into the loss). */
export function crossEntropy(logits: Tensor, targets: readonly number[]): Float64Array {
  const [T, V] = checkTargets(logits, targets);
  const losses = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const o = t * V;
    const [max, sum] = maxAndExpSum(logits.data, o, V);
    losses[t] = max + Math.log(sum) - logits.data[o + targets[t]];
  }
  return losses;
}

/**
 * ∂L/∂logits for L = (1/N) Σ ℓ over the batch, for one sequence's logits: [T, V] → [T, V]
 *   ∂L/∂z_t = (softmax(z_t) − onehot(y_t)) / N
 * N is the number of positions in the whole batch, because the loss is their mean.
 */
export function crossEntropyBackward(logits: Tensor, targets: readonly number[], N: number): Tensor {
  const [T, V] = checkTargets(logits, targets);
  if (!Number.isInteger(N) || N < T) fail('bad-shape', `crossEntropyBackward: N = ${N} must count at least T = ${T}`);
  const d = zerosLike(logits);
  for (let t = 0; t < T; t++) {
    const o = t * V;
    const [max, sum] = maxAndExpSum(logits.data, o, V);
    for (let c = 0; c < V; c++) d.data[o + c] = Math.exp(logits.data[o + c] - max) / sum / N;
    d.data[o + targets[t]] -= 1 / N;
  }
  return d;
}

/** Row z = data[o … o+V−1]: its max m and Σ exp(z_c − m), the stable softmax denominator (shared by both passes). */
function maxAndExpSum(data: ArrayLike<number>, o: number, V: number): [number, number] {
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < V; c++) if (data[o + c] > max) max = data[o + c];
  let sum = 0;
  for (let c = 0; c < V; c++) sum += Math.exp(data[o + c] - max);
  return [max, sum];
}

function checkTargets(logits: Tensor, targets: readonly number[]): [number, number] {
  if (logits.shape.length !== 2)
    fail('bad-shape', `cross-entropy needs [T, V] logits, got [${logits.shape.join(', ')}]`);
  const [T, V] = logits.shape;
  if (targets.length !== T) fail('bad-ids', `cross-entropy: ${targets.length} targets for ${T} positions`);
  targets.forEach((y, t) => {
    if (!Number.isInteger(y) || y < 0 || y >= V) {
      fail('bad-ids', `targets[${t}] = ${y} is not a token id: targets must be integers in 0 … ${V - 1}`);
    }
  });
  return [T, V];
}
