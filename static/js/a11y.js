// Keyboard access to scrolling tables: a `.table-wrap` whose table is wider than the
// screen becomes a labelled, focusable region, so arrow keys can scroll it (WCAG 2.1.1).
// Wrappers that fit stay out of the tab order.

function labelFor(wrap) {
  const table = wrap.querySelector("table");
  const caption = table?.querySelector("caption")?.textContent;
  const heading = wrap.closest("section, .panel")?.querySelector("h1, h2, h3")?.textContent;
  return (table?.getAttribute("aria-label") || caption || heading || "Table").trim();
}

function update(wrap) {
  const scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
  if (scrolls && !wrap.hasAttribute("tabindex")) {
    wrap.setAttribute("tabindex", "0");
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", labelFor(wrap));
    wrap.dataset.scrollRegion = "";
  } else if (!scrolls && "scrollRegion" in wrap.dataset) {
    wrap.removeAttribute("tabindex");
    wrap.removeAttribute("role");
    wrap.removeAttribute("aria-label");
    delete wrap.dataset.scrollRegion;
  }
}

const observer = new ResizeObserver((entries) => entries.forEach((e) => update(e.target)));

function watch(root) {
  const wraps = [...root.querySelectorAll(".table-wrap")];
  if (root.matches?.(".table-wrap")) wraps.push(root);
  wraps.forEach((wrap) => {
    update(wrap);
    observer.observe(wrap);
  });
}

watch(document);
// Regions refreshed in place (lib/regions.js) bring new tables.
new MutationObserver((records) => {
  for (const record of records) {
    record.addedNodes.forEach((node) => node.nodeType === 1 && watch(node));
  }
}).observe(document.body, { childList: true, subtree: true });
