// The one toast of every page: a short message at the bottom right that goes away by itself
// (or stays, with timeout 0) and can be dismissed. The same `key` replaces an older toast
// instead of stacking; at most four are shown. The container is #toasts in base.html.

const MAX_TOASTS = 4;
const DEFAULT_TIMEOUT_MS = 6_000;

function container() {
  let box = document.getElementById("toasts");
  if (!box) {
    box = document.createElement("div");
    box.id = "toasts";
    box.className = "toasts";
    box.setAttribute("aria-live", "polite");
    box.dataset.testid = "toasts";
    document.body.append(box);
  }
  return box;
}

export function toast(text, { key = null, timeout = DEFAULT_TIMEOUT_MS } = {}) {
  const box = container();
  if (key) {
    for (const old of box.querySelectorAll(".toast")) {
      if (old.dataset.key === key) old.remove();
    }
  }
  const el = document.createElement("div");
  el.className = "toast";
  el.setAttribute("role", "status");
  el.dataset.testid = "toast";
  if (key) el.dataset.key = key;

  const message = document.createElement("span");
  message.className = "toast-text";
  message.textContent = text;

  const close = document.createElement("button");
  close.type = "button";
  close.className = "toast-close";
  close.setAttribute("aria-label", "Dismiss");
  close.title = "Dismiss";
  close.textContent = "×";
  close.addEventListener("click", () => el.remove());

  el.append(message, close);
  box.append(el);
  const shown = box.querySelectorAll(".toast");
  for (let i = 0; i < shown.length - MAX_TOASTS; i += 1) shown[i].remove();
  if (timeout > 0) setTimeout(() => el.remove(), timeout);
  return el;
}
