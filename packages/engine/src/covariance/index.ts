export * from './structure.js';
export * from './residual-structures.js';
export * from './random-effects.js';
export * from './covariance-model.js';
