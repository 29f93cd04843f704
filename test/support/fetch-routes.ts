/** Sends `fetch` calls for some hosts to local fakes, inside the workerd test (anything else reaches the real `fetch`). */
import { vi } from "vitest";

/** A fake behind a URL prefix (`https://host.test/`, or a full URL); it gets the caller's abort signal. */
export type FetchRoute = [prefix: string, handle: (req: Request, signal?: AbortSignal) => Promise<Response>];

/**
 * Spies on `fetch` (restored by `vi.restoreAllMocks()` or the returned undo): a request whose URL
 * starts with a route's prefix goes to that route's fake, the first that matches. Call it once per
 * test with every fake the test needs.
 */
export function routeFetch(routes: FetchRoute[]): () => void {
  const realFetch = globalThis.fetch.bind(globalThis);
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
    const req = new Request(input, init);
    const route = routes.find(([prefix]) => req.url.startsWith(prefix));
    return route ? route[1](req, init?.signal ?? undefined) : realFetch(input, init);
  });
  return () => spy.mockRestore();
}
