import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run on the TypeScript sources; the CLI tests spawn the built bin.
    alias: {
      '@study/engine': src('./packages/engine/src/index.ts'),
      '@study/language': src('./packages/language/src/index.ts'),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    // CI also writes a JSON summary, from which .ci/run prints its closing 'N passed, N failed' line
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-output/vitest.json' }]] : ['default'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
