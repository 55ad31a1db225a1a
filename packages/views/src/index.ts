// @glassbox/views — React + D3 views. They take tensors and plain data as props and never call the engine.
export * from './AttentionPattern';
export * from './color';
export * from './Distribution';
export * from './EmbeddingScatter';
export * from './Formula';
export * from './Heatmap';
export * from './KvCache';
export * from './Legend';
export * from './LogitGradient';
export * from './LossCurve';
export * from './matrix';
export * from './paint';
export * from './RankedBars';
export * from './StepExplanation';
export * from './TemperatureSlider';
export * from './TokenStrip';
