/**
 * Installs a provider fake in place of the network: fetch calls to URLs under `base` go to
 * `handle` (with the caller's abort signal), everything else to the real fetch. Returns the undo.
 */
import { vi } from "vitest";

export function routeFetch(base: string, handle: (req: Request, signal?: AbortSignal) => Promise<Response>): () => void {
  const original = globalThis.fetch;
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
    const req = new Request(input, init);
    if (req.url.startsWith(`${base}/`)) return handle(req, init?.signal ?? undefined);
    return original(input, init);
  });
  return () => spy.mockRestore();
}
