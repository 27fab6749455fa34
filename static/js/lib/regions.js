// Re-render parts of the current page in place, instead of reloading it: fetch the page's
// own URL again and swap each element marked data-region="<name>" for its new rendering.
// The server keeps rendering one template; the rest of the page (scroll position, open
// dialogs, form input, live sockets) stays as it is.
//
// Calls made while a refresh is running are merged into one more fetch after it.

const wanted = new Set();
let chain = Promise.resolve();

async function swap(names) {
  const response = await fetch(location.href, {
    credentials: "same-origin",
    cache: "no-store",
    headers: { Accept: "text/html" },
  });
  // Signed out meanwhile (a redirect to the login page) or an error: keep what is shown.
  if (!response.ok || response.redirected) return;
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  for (const name of names) {
    const selector = `[data-region="${name}"]`;
    const current = document.querySelector(selector);
    const next = fresh.querySelector(selector);
    if (current && next) current.replaceWith(document.adoptNode(next));
  }
}

/** Re-renders the named regions; resolves once they are in the page. */
export function refreshRegions(names) {
  for (const name of names) wanted.add(name);
  chain = chain
    .then(() => {
      if (!wanted.size) return undefined;
      const batch = [...wanted];
      wanted.clear();
      return swap(batch);
    })
    .catch((error) => console.warn("[backlot] could not refresh the page", error));
  return chain;
}
