// ONNX interoperability: export to a standard GPT-2 graph, run it with ONNX Runtime Web, compare with our engine.
// Browser- and Node-safe: onnxruntime-web is imported only when a session is created.
export * from './compare';
export * from './export';
export * from './runtime';
