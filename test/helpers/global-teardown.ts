import { cleanRunDir } from './scratch';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__SSE_TEST_REDIS__?.dispose();
  if (globalThis.__SSE_TEST_RUN_DIR__ !== undefined) cleanRunDir(globalThis.__SSE_TEST_RUN_DIR__);
}
