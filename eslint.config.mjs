// ESLint (flat config): typescript-eslint's strict, type-aware rules over
// src/ and test/ (each file checked with the tsconfig that compiles it:
// tsconfig.json for src/, test/tsconfig.json for test/), zero warnings
// (`npm run lint`). Generated code (src/generated) is not linted.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/**', 'build/**', 'dist-deb/**', 'node_modules/**', 'src/generated/**', 'bench/**', 'coverage/**'] },
  {
    files: ['**/*.ts', '**/*.mts'],
    extends: [js.configs.recommended, tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['vitest.config.mts', 'vitest.e2e.config.mts', 'deploy/grafana/build-dashboard.d.mts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Numbers and booleans read fine in messages ("after 4 attempts").
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `() => set.delete(x)` as a callback is not a confusing use of void.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // With noUncheckedIndexedAccess every index access may be undefined; `!`
      // marks the ones just checked (a regex group that matched, the first
      // item of a non-empty list).
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `_name`: deliberately unused (a type parameter inferred only to match a shape).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Passing on a caught error whose type is unknown is not rejecting with a non-Error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // prom-client's collect() gets the metric as `this`; `self` is the registry owner.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
      // A `let` a closure reads before the one assignment (the daemon a signal handler stops).
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests talk to the servers with loose messages on purpose (bad input,
      // fuzzing, reading any field of an answer back).
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // A test callback is async by habit even when its body never awaits.
      '@typescript-eslint/require-await': 'off',
      // Teardown guards against a setup that failed half-way (`await ctl?.stop()`).
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // expect(obj.method) and spies take methods off their objects on purpose.
      '@typescript-eslint/unbound-method': 'off',
      // Tests remove environment variables and fields by name.
      '@typescript-eslint/no-dynamic-delete': 'off',
      // A test knows what its promise rejects with, and reads gRPC codes as plain numbers.
      '@typescript-eslint/use-unknown-in-catch-callback-variable': 'off',
      '@typescript-eslint/no-unsafe-enum-assignment': 'off',
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      // Test doubles are cast to the class they stand in for.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
    },
  },
  {
    files: ['**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'module', globals: { URL: 'readonly', process: 'readonly', console: 'readonly' } },
  },
);
