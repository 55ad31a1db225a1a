// Weights I/O: safetensors files in Hugging Face GPT-2 layout. Browser- and Node-safe (bytes in, bytes out).
export * from './checkpoint';
export * from './f16';
export * from './hfGpt2';
export * from './safetensors';
