/**
 * The language and the engine, loaded on first use (so `study --help` answers at once). In the bundle
 * (scripts/bundle.mjs) this module is replaced by scripts/core-loader.mjs, which loads both from one
 * CommonJS file compiled with V8's code cache.
 */
export const language = () => import('@study/language/core');
export const engine = () => import('@study/engine');
