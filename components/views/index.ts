/** D3 views: render functions of plain data (DOM only, no React) and their thin React wrappers. */
export * from './palette';
export { displayToken } from './format';
export { commitInfo, stateAt, statesAt, type StepRecord, type CommitRecord, type CommitInfo } from './states';
export { DENSE_CELLS, type Container, type Renderer } from './common';
export * from './mask-matrix';
export * from './group-order';
export * from './commit-timeline';
export * from './attention-map';
export * from './loss-chart';
export * from './token-strip';
export { MaskMatrix, type MaskMatrixProps } from './MaskMatrix';
export { GroupOrder, type GroupOrderProps } from './GroupOrder';
export { CommitTimeline, type CommitTimelineProps } from './CommitTimeline';
export { AttentionMap, type AttentionMapProps } from './AttentionMap';
export { AttentionMatrix, type AttentionMatrixProps } from './AttentionMatrix';
export { LossChart, type LossChartProps } from './LossChart';
export { TokenStrip, type TokenStripProps } from './TokenStrip';
