import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
    root: './',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
  // swc emits decorator metadata, which esbuild cannot; Nest's DI depends on it.
  plugins: [swc.vite({ module: { type: 'es6' } })],
});
