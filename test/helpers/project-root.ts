import { fileURLToPath } from 'node:url';

/** The repository root, whether a test runs from dist/test or elsewhere. */
export const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));
