/*
 * Entry of `npm run bench` (see docs/benchmarks.md). The logic lives in src/bench, where it is
 * type-checked and linted with the rest of the plugin; this file only hands over the arguments.
 * Run with the Backstage TypeScript transform:
 *   node --require @backstage/cli/config/nodeTransform.cjs bench/run.ts [options]
 */
import { main } from '../src/bench/cli';

main(process.argv.slice(2), process.argv[1]).then(
  code => {
    if (code !== undefined) process.exit(code);
  },
  error => {
    console.error(error);
    process.exit(1);
  },
);
