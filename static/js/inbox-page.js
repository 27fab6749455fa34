// The inbox page re-renders its list in place when the inbox changes (a new entry, read
// elsewhere); the events come through the top bar's socket (inbox-badge.js).

import { refreshRegions } from "./lib/regions.js";

document.addEventListener("backlot:inbox", () => {
  refreshRegions(["inbox-list", "inbox-unread-chip"]);
});
