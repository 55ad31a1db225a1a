import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GPTConfig } from '@glassbox/compute';
import { initParams, saveCheckpoint, validateConfig } from '@glassbox/compute';
import type { Tokenizer } from '@glassbox/tokenizers';
import { CharTokenizer, WordTokenizer } from '@glassbox/tokenizers';
import { vi } from 'vitest';

/** Test helpers: a tiny random model directory on disk, and the real `glassbox` binary run as a child process. */

export const BIN = fileURLToPath(new URL('../bin/glassbox.js', import.meta.url));

export const TINY_CHARS = [...'abcdefgh '];
export const TINY_WORDS = ['the', 'cat', 'sat', 'on', 'mat', 'END'];

export function tempDir(prefix = 'glassbox-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes model.safetensors + config.json + tokenizer.json of a random 2-layer model; returns the config. */
export function writeTinyModel(
  dir: string,
  options: { tokenizer?: 'char' | 'word'; n_positions?: number; seed?: number } = {},
): GPTConfig {
  const tokenizer: Tokenizer =
    options.tokenizer === 'word' ? new WordTokenizer(TINY_WORDS) : new CharTokenizer(TINY_CHARS);
  const config = validateConfig({
    vocab_size: tokenizer.vocabSize,
    n_positions: options.n_positions ?? 16,
    n_embd: 8,
    n_layer: 2,
    n_head: 2,
    layer_norm_epsilon: 1e-5,
  });
  const params = initParams(config, { seed: options.seed ?? 1 });
  const saved = saveCheckpoint(config, params);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'model.safetensors'), saved.safetensors);
  writeFileSync(join(dir, 'config.json'), saved.configJson);
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer.toJSON()));
  return config;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/glassbox.js ...args` to completion (async, so a slow run never blocks the test worker). */
export function runCli(args: readonly string[], options: { cwd?: string } = {}): Promise<RunResult> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  return collect(child);
}

export function collect(child: ReturnType<typeof spawn>): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    stdout += s;
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The contract for every user error: a non-zero exit, exactly one line on stderr, and no stack trace. */
export function isOneLineError(r: RunResult): boolean {
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  return r.code !== 0 && r.code !== null && lines.length === 1 && !/\n\s+at |Error:|node:internal/.test(r.stderr);
}

/**
 * A deliberately independent .npy reader (version 1.0, '<f4' only) written from the NumPy format spec, so a test
 * checks encodeNpy against the format rather than against itself.
 */
export function parseNpy(bytes: Uint8Array): { shape: number[]; data: Float32Array; headerLength: number } {
  const magic = String.fromCharCode(...bytes.subarray(1, 6));
  if (bytes[0] !== 0x93 || magic !== 'NUMPY') throw new Error('not a .npy file');
  if (bytes[6] !== 1 || bytes[7] !== 0) throw new Error(`unexpected version ${bytes[6]}.${bytes[7]}`);
  const headerLength = bytes[8] | (bytes[9] << 8);
  const header = new TextDecoder('latin1').decode(bytes.subarray(10, 10 + headerLength));
  if (!header.endsWith('\n')) throw new Error('header does not end with a newline');
  if (!/'descr':\s*'<f4'/.test(header)) throw new Error(`not little-endian float32: ${header}`);
  if (!/'fortran_order':\s*False/.test(header)) throw new Error('fortran order');
  const dims = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (dims === undefined) throw new Error(`no shape in ${header}`);
  const shape = dims
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number);
  const start = 10 + headerLength;
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, bytes.byteLength - start);
  const data = new Float32Array(view.byteLength / 4);
  for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(4 * i, true);
  return { shape, data, headerLength };
}

/**
 * Runs the same `cli()` the binary runs, inside the test process, capturing what it writes. For the many error
 * cases whose only difference from a spawned run would be the ~0.5 s of starting Node and tsx; the cases the
 * contract is about (exit code and stderr of the real process) are spawned.
 */
export async function runInProcess(args: readonly string[]): Promise<RunResult> {
  const { cli } = await import('./cli');
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    stdout += String(s);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  });
  try {
    const code = await cli(args);
    return { code, signal: null, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
