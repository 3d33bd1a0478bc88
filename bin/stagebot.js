#!/usr/bin/env node
// `npx stagebot` from a checkout: Node 24 runs the TypeScript entry point directly. Node's compile
// cache (in the OS temp directory, or NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1 turns it off)
// keeps the stripped TypeScript and V8's code between runs, so a command starts without transpiling.
import { enableCompileCache } from 'node:module';

enableCompileCache?.();
await import('../src/main.ts');
