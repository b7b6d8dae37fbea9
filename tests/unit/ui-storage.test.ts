import { describe, expect, test } from 'vitest';
import { indexLabel, modelIdFromUrl } from '../../src/ui/storage.ts';

describe('Storage panel names', () => {
  test('model files are grouped by model; runtime and app files are not models', () => {
    expect(modelIdFromUrl('http://localhost:5173/models/tiny-sql-lm/onnx/model_q8.onnx')).toBe('tiny-sql-lm');
    expect(modelIdFromUrl('http://localhost:5173/models/universal-sentence-encoder-lite/tokenizer.json')).toBe(
      'universal-sentence-encoder-lite',
    );
    expect(
      modelIdFromUrl('https://huggingface.co/Xenova/all-MiniLM-L6-v2/resolve/main/onnx/model_quantized.onnx'),
    ).toBe('Xenova/all-MiniLM-L6-v2');
    expect(
      modelIdFromUrl('https://huggingface.co/mlc-ai/Qwen2.5-0.5B-Instruct-q4f16_1-MLC/resolve/main/params_shard_0.bin'),
    ).toBe('mlc-ai/Qwen2.5-0.5B-Instruct-q4f16_1-MLC');
    expect(
      modelIdFromUrl(
        'https://raw.githubusercontent.com/mlc-ai/binary-mlc-llm-libs/main/web-llm-models/v0_2_80/Qwen2.5-0.5B-Instruct-q4f16_1-ctx4k_cs1k-webgpu.wasm',
      ),
    ).toBe('Qwen2.5-0.5B-Instruct-q4f16_1-ctx4k_cs1k (WebGPU library)');
    // what the dev server's transformers.js cache also holds: the ONNX runtime, not a model
    expect(
      modelIdFromUrl('http://localhost:5173/node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.jsep.wasm'),
    ).toBeNull();
    expect(modelIdFromUrl('http://localhost:4173/assets/ort-wasm-simd-threaded.jsep-abc123.wasm')).toBeNull();
    expect(modelIdFromUrl('http://localhost:4173/index.html')).toBeNull();
    expect(modelIdFromUrl('not a url')).toBeNull();
  });

  test('indexes are named by corpus and kind, never by the internal "#masked" slot', () => {
    expect(indexLabel({ slot: 'Demo examples', textMode: 'question' })).toEqual({
      corpus: 'Demo examples',
      index: 'question index',
    });
    expect(indexLabel({ slot: 'Demo examples#masked', textMode: 'masked-question' })).toEqual({
      corpus: 'Demo examples',
      index: 'masked-question index',
    });
    expect(indexLabel({ slot: 'train.csv (6,726)', textMode: 'question+sql' }).index).toBe('question+sql index');
  });
});
