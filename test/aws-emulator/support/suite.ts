// The emulator suite's files run only where moto can (global-setup.ts checked, once, and said so).
import { describe, inject } from 'vitest';

export const describeWithMoto = describe.skipIf(!inject('moto').ok);
