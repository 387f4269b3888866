export default async function globalTeardown(): Promise<void> {
  await globalThis.__SSE_TEST_REDIS__?.dispose();
}
