export * from './add';
export * from './attention';
export * from './embedding';
export * from './gelu';
export * from './layerNorm';
export * from './linear';
export * from './softmax';
