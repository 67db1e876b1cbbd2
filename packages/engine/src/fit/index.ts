export * from './fit-model.js';
export * from './likelihood.js';
export * from './optimizer.js';
export { PatternData, blockLayouts, buildPatterns, fullRankRows, SparseRows } from './patterns.js';
