#!/usr/bin/env node
// Launcher: the CLI is compiled to dist/ by `npm run build` (run by npm ci / npm install).
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv);
// The command is over and its output written. A client library may still hold a retry timer
// (kafkajs reconnecting to a broker that is not there): it must not delay the exit code.
setTimeout(() => process.exit(), 1500).unref();
