/**
 * A fetch for transformers.js that downloads each local model file once.
 *
 * Before loading a model with a progress callback, transformers.js asks for every file's size
 * (get_file_metadata). For a Hub file that is a one-byte Range request, but for a local file it
 * is a full GET whose body is never read, and then the real load GETs the file again: on a fresh
 * profile every local model file crossed the network twice. Here a GET of a local model file is
 * answered with the headers of a HEAD request and a body that is fetched only when someone reads
 * it, so the size probe costs a HEAD and the load one GET.
 *
 * No DOM: only fetch, Response and ReadableStream (also in Node, where the unit test runs it).
 */

type Fetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

function urlOf(input: RequestInfo | URL): string {
  if (typeof input === 'string') return input;
  if (input instanceof URL) return input.href;
  return input.url;
}

/**
 * @param base the real fetch
 * @param isModelFile which URLs are local model files (same-origin files under the model base)
 */
export function lazyModelFetch(base: Fetch, isModelFile: (url: string) => boolean): Fetch {
  return async (input, init) => {
    const url = urlOf(input);
    const method = (
      init?.method ?? (typeof input === 'object' && 'method' in input ? input.method : 'GET')
    ).toUpperCase();
    if (method !== 'GET' || !isModelFile(url)) return base(input, init);
    let head: Response;
    try {
      head = await base(url, { ...init, method: 'HEAD' });
    } catch {
      // No answer to HEAD (offline, with a service worker that only caches GETs): a plain GET.
      return base(input, init);
    }
    if (head.status === 404) return new Response(null, { status: 404, statusText: head.statusText });
    // A host that refuses HEAD (405, 501…) or fails: let the GET speak for itself.
    if (!head.ok) return base(input, init);
    let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (!reader) {
            const r = await base(input, init);
            if (!r.ok || !r.body) throw new Error(`HTTP ${r.status} fetching ${url}`);
            reader = r.body.getReader();
          }
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        },
        cancel: (reason) => reader?.cancel(reason),
      },
      // No read-ahead: nothing is fetched until the body is read.
      { highWaterMark: 0 },
    );
    return new Response(body, { status: head.status, statusText: head.statusText, headers: head.headers });
  };
}

/** Same-origin URLs under the local model base path (e.g. "/models/"), relative to `page`. */
export function underModelBase(basePath: string, page: string): (url: string) => boolean {
  const prefix = basePath.endsWith('/') ? basePath : basePath + '/';
  const origin = new URL(page).origin;
  return (url) => {
    try {
      const u = new URL(url, page);
      return u.origin === origin && u.pathname.startsWith(prefix) && !u.pathname.endsWith('/index.json');
    } catch {
      return false;
    }
  };
}
