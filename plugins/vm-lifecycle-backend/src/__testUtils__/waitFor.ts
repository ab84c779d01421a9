/**
 * Polls until the probe returns something truthy, and returns it; fails with what it waited for.
 * Integration tests wait on real asynchronous work (controllers, AAP jobs, watches) this way
 * instead of sleeping a fixed time.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await new Promise(r => setTimeout(r, intervalMs));
  }
}
