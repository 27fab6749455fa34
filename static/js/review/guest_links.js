// "Share with a guest" (templates/review/_guest_links.html): a dialog whose body is the
// server-rendered list of open guest links and the create form. Create and revoke are
// posted with fetch and the server's new rendering replaces the body, so errors appear
// next to their fields with the input kept, and a new link is shown (once) to copy.
// Listeners are delegated to the document: the page may re-render the header in place.

import { toast } from "../lib/toast.js";

const dialogOf = (el) => el.closest("[data-guest-links]");
const bodyOf = (dialog) => dialog.querySelector("[data-guest-links-body]");

async function load(dialog, response) {
  const type = response.headers.get("Content-Type") || "";
  if (response.status >= 500 || !type.includes("text/html")) {
    toast(response.ok ? "Unexpected answer from the server." : (await response.text()).slice(0, 200));
    return false;
  }
  const body = bodyOf(dialog);
  body.innerHTML = await response.text();
  body.querySelector("[aria-invalid=true]")?.focus();
  return true;
}

async function refresh(dialog) {
  try {
    await load(dialog, await fetch(dialog.dataset.url, { credentials: "same-origin", cache: "no-store" }));
  } catch {
    toast("Could not reach the server; try again.");
  }
}

document.addEventListener("click", async (event) => {
  const opener = event.target.closest("[data-guest-links-open]");
  if (opener) {
    const dialog = opener.parentElement.querySelector("[data-guest-links]");
    if (!dialog) return;
    dialog.showModal();
    refresh(dialog);
    return;
  }
  const closer = event.target.closest("[data-guest-links-close]");
  if (closer) {
    dialogOf(closer).close();
    return;
  }
  const copy = event.target.closest("[data-guest-copy]");
  if (copy) {
    const input = dialogOf(copy).querySelector("[data-guest-url]");
    input.select();
    try {
      await navigator.clipboard.writeText(input.value);
      toast("Link copied.");
    } catch {
      toast("Select the link and copy it.");
    }
  }
});

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.closest("[data-guest-links-body]")) return;
  event.preventDefault();
  const revoking = form.matches("[data-guest-revoke]");
  if (revoking && !window.confirm(`Revoke the link for ${form.dataset.email}? Their page closes at once.`)) return;
  const dialog = dialogOf(form);
  const button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-CSRFToken": form.querySelector("input[name=csrfmiddlewaretoken]")?.value || "" },
    });
    const shown = await load(dialog, response);
    if (revoking && shown && response.ok) toast(`Link for ${form.dataset.email} revoked.`);
  } catch {
    toast("Could not reach the server; try again.");
  } finally {
    if (button && button.isConnected) button.disabled = false;
  }
});
