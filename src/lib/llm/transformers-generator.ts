/**
 * CPU engine: transformers.js text generation on WASM (browser) or onnxruntime-node (Node).
 * Used automatically when WebGPU is missing, and selectable by the user.
 */
import type { Generator, GenerateOptions, GenerateResult, LoadGeneratorOptions } from './generator.ts';
import type { CpuGeneratorSpec, Dtype } from '../config.ts';
import { ModelLoadError, throwIfAborted } from '../errors.ts';
import { downloadProgress } from '../embed/transformers-embedder.ts';
import { promptFormat } from './formats/index.ts';

type Transformers = typeof import('@huggingface/transformers');

interface TextGen {
  (prompt: string, opts: Record<string, unknown>): Promise<{ generated_text: string }[]>;
  tokenizer: InstanceType<Transformers['PreTrainedTokenizer']>;
  dispose?: () => Promise<void>;
}

export class TransformersGenerator implements Generator {
  readonly engine = 'transformers' as const;
  private stopper: InstanceType<Transformers['InterruptableStoppingCriteria']> | null = null;

  private constructor(
    private readonly tf: Transformers,
    readonly spec: CpuGeneratorSpec,
    readonly dtype: string,
    readonly device: string,
    private readonly pipe: TextGen,
  ) {}

  get id(): string {
    return this.spec.id;
  }
  get format() {
    return this.spec.format;
  }
  get contextTokens(): number {
    return this.spec.contextTokens;
  }

  static async load(
    tf: Transformers,
    spec: CpuGeneratorSpec,
    device: string,
    dtype?: Dtype,
    opts: LoadGeneratorOptions = {},
  ): Promise<TransformersGenerator> {
    throwIfAborted(opts.signal, 'model load');
    const dt = dtype ?? spec.defaultDtype;
    let pipe: TextGen;
    try {
      pipe = (await tf.pipeline('text-generation', spec.id, {
        dtype: dt,
        device: device as 'wasm' | 'cpu',
        progress_callback: downloadProgress(opts.onProgress, `Loading ${spec.id}`),
      } as Record<string, unknown>)) as unknown as TextGen;
    } catch (e) {
      throw new ModelLoadError(spec.id, e);
    }
    throwIfAborted(opts.signal, 'model load');
    return new TransformersGenerator(tf, spec, dt, device, pipe);
  }

  countTokens(text: string): number {
    return this.pipe.tokenizer.encode(text, { add_special_tokens: false }).length;
  }

  async generate(prompt: string, opts: GenerateOptions = {}): Promise<GenerateResult> {
    const { TextStreamer, InterruptableStoppingCriteria } = this.tf;
    const stopper = new InterruptableStoppingCriteria();
    this.stopper = stopper;
    this.userStop = () => onAbort();
    let userStop = false;
    let text = '';
    const onAbort = () => {
      userStop = true;
      stopper.interrupt();
    };
    opts.signal?.addEventListener('abort', onAbort);
    if (opts.signal?.aborted) onAbort();
    let tokens = 0;
    let firstTokenAt = 0;
    const stopAtNewline = promptFormat(this.spec.format).stopAtNewline;
    const t0 = performance.now();
    const streamer = new TextStreamer(this.pipe.tokenizer, {
      skip_prompt: true,
      skip_special_tokens: true,
      callback_function: (piece: string) => {
        text += piece;
        opts.onToken?.(piece);
        // Single-line formats end at the first newline: stop instead of decoding to EOS.
        if (stopAtNewline && text.trimStart().includes('\n')) stopper.interrupt();
      },
      token_callback_function: () => {
        if (tokens === 0) firstTokenAt = performance.now();
        tokens++;
      },
    });
    try {
      const sample = (opts.temperature ?? 0) > 0;
      const out = await this.pipe(prompt, {
        max_new_tokens: opts.maxNewTokens ?? 128,
        do_sample: sample,
        ...(sample ? { temperature: opts.temperature, top_p: opts.topP ?? 1, top_k: 0 } : {}),
        return_full_text: false,
        streamer,
        stopping_criteria: [stopper],
      });
      const ms = performance.now() - t0;
      const decodeMs = firstTokenAt ? performance.now() - firstTokenAt : ms;
      return {
        text: out[0]?.generated_text ?? '',
        tokens,
        ms,
        tokensPerSecond: tokens > 1 ? ((tokens - 1) * 1000) / decodeMs : 0,
        interrupted: userStop,
      };
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      this.stopper = null;
      this.userStop = null;
    }
  }

  private userStop: (() => void) | null = null;

  interrupt(): void {
    this.userStop?.();
  }

  async dispose(): Promise<void> {
    await this.pipe.dispose?.();
  }
}
