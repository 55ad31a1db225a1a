#!/usr/bin/env node
// The packages are consumed as TypeScript source (docs/architecture.md), so the command runs src/main.ts through
// tsx's loader instead of a compiled copy: editing the engine and running `glassbox` needs no build step. tsx is
// resolved from the repository root's node_modules by ordinary package resolution from this file's real path.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
