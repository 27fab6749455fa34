// The unread count beside "Inbox" in the top bar, kept live: follows the person's
// organization socket (/ws/orgs/<org>/), which also carries their inbox events
// ({type: "inbox", unread, item?}). Other scripts can listen for "backlot:inbox" on document.

import { openSocket } from "./lib/socket.js";
import { toast } from "./lib/toast.js";

const link = document.querySelector("[data-testid=nav-inbox][data-inbox-org]");
const badge = link?.querySelector(".inbox-count");

function show(unread) {
  if (!link || !badge || typeof unread !== "number") return;
  badge.textContent = String(unread);
  badge.hidden = unread <= 0;
  link.setAttribute("aria-label", `Inbox, ${unread} unread`);
}

if (link && link.dataset.inboxOrg) {
  openSocket({
    path: `/ws/orgs/${encodeURIComponent(link.dataset.inboxOrg)}/`,
    onMessage(frame) {
      if (frame.type !== "inbox") return;
      show(frame.unread);
      if (frame.item && typeof frame.item.title === "string") {
        toast(frame.item.title, { key: `inbox-${frame.item.id}` });
      }
      document.dispatchEvent(new CustomEvent("backlot:inbox", { detail: frame }));
    },
  });
}
