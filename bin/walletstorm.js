#!/usr/bin/env node
// Launcher: the CLI is compiled to dist/ by `npm run build` (run by npm ci / npm install).
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv);
