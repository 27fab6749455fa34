// The top bar's menu button on phones (below 760 px the navigation folds away behind it).
// A real <button> with aria-expanded: Enter and Space open it, Escape closes it and returns
// focus to the button, a click outside closes it. Without this module the navigation simply
// stays visible and wraps.
const topbar = document.querySelector("[data-nav-root]");
const button = topbar?.querySelector("[data-nav-toggle]");

if (topbar && button) {
  const setOpen = (open) => {
    topbar.dataset.nav = open ? "open" : "closed";
    button.setAttribute("aria-expanded", String(open));
  };
  setOpen(false);
  button.hidden = false;
  button.addEventListener("click", () => setOpen(topbar.dataset.nav !== "open"));
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || topbar.dataset.nav !== "open") return;
    // An open dropdown inside the menu closes first (static/js/ui.js).
    if (topbar.querySelector("details.menu[open]")) return;
    setOpen(false);
    button.focus();
  }, true); // capture: runs before ui.js closes the dropdowns
  document.addEventListener("click", (event) => {
    if (topbar.dataset.nav === "open" && !topbar.contains(event.target)) setOpen(false);
  });
}
