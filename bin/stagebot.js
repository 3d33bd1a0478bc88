#!/usr/bin/env node
// `npx stagebot` from a checkout: Node 24 runs the TypeScript entry point directly.
import '../src/main.ts';
