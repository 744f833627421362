/** Shared by the report tests. The CLI is built once for all tests (test/support/build.ts). */
export { BIN, ROOT, walletstorm, type CliRun as Run } from './support/cli.js';
