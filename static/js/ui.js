// Small progressive enhancements shared by every page: dismissible flash messages,
// dropdown menus that close on outside click / Escape, and copy-to-clipboard buttons.

document.addEventListener("click", (event) => {
  const dismiss = event.target.closest("[data-dismiss='flash']");
  if (dismiss) {
    const flash = dismiss.closest(".flash");
    if (flash) {
      flash.classList.add("is-leaving");
      setTimeout(() => flash.remove(), 150);
    }
    return;
  }
  // Close open menus when clicking elsewhere.
  for (const menu of document.querySelectorAll("details.menu[open]")) {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  }
});

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  for (const menu of document.querySelectorAll("details.menu[open]")) {
    menu.removeAttribute("open");
    menu.querySelector("summary")?.focus();
  }
});

async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      /* fall back below */
    }
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

function selectContents(node) {
  const range = document.createRange();
  range.selectNodeContents(node);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

for (const button of document.querySelectorAll("[data-copy-target]")) {
  const original = button.textContent;
  button.addEventListener("click", async () => {
    const target = document.querySelector(button.dataset.copyTarget);
    if (!target) return;
    const ok = await copyText(target.textContent.trim());
    if (!ok) selectContents(target);
    button.textContent = ok ? "Copied" : "Press Ctrl+C";
    button.classList.toggle("is-done", ok);
    setTimeout(() => {
      button.textContent = original;
      button.classList.remove("is-done");
    }, 2000);
  });
}

// Clicking a secret selects all of it, so it can be copied by hand too.
for (const secret of document.querySelectorAll("[data-select-on-click]")) {
  secret.addEventListener("click", () => selectContents(secret));
}

// A table that scrolls sideways inside its own container (narrow screens) can be scrolled
// with the keyboard: it takes focus only while it actually overflows.
function markScrollRegions() {
  for (const wrap of document.querySelectorAll(".table-wrap")) {
    if (wrap.scrollWidth > wrap.clientWidth + 1) wrap.setAttribute("tabindex", "0");
    else if (wrap.getAttribute("tabindex") === "0") wrap.removeAttribute("tabindex");
  }
}
markScrollRegions();
window.addEventListener("resize", markScrollRegions);

// Forms that ask before a destructive action (`data-confirm`) and selects that submit
// their form when changed (`data-autosubmit`): pages carry no inline handlers, so the
// Content-Security-Policy lets no inline script run.
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target instanceof HTMLFormElement ? event.target : null;
    if (form?.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  },
  true,
);

document.addEventListener("change", (event) => {
  const field = event.target instanceof Element ? event.target.closest("[data-autosubmit]") : null;
  if (field?.form) field.form.requestSubmit();
});
