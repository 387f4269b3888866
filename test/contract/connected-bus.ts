import type { Bus } from '../../gateway/src/bus/bus';

/** Resolves with `bus` once it reports connected (closes it and rejects after `timeoutMs`). */
export function connectedBus<T extends Bus>(bus: T, timeoutMs = 10000): Promise<T> {
  if (bus.connected) return Promise.resolve(bus);
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      void bus.close().then(() => reject(new Error(`${bus.description} not connected after ${timeoutMs} ms`)));
    }, timeoutMs);
    bus.onStatus((connected) => {
      if (!connected || settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(bus);
    });
  });
}
