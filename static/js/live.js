// Live updates for one organization's dashboard: follows /ws/orgs/<org>/ (the page has
// <span id="live-status" data-org="...">, which shows the connection state). A project event
// shows a toast and re-renders the project list in place.

import { refreshRegions } from "./lib/regions.js";
import { openSocket } from "./lib/socket.js";
import { toast } from "./lib/toast.js";

function describe(event) {
  const name = typeof event.name === "string" && event.name ? event.name : null;
  switch (event.type) {
    case "project.created":
    case "project.shared":
      return `New project: ${name ?? "untitled"}`;
    case "project.unshared":
      return name ? `Project ${name} is no longer shared` : "A project is no longer shared with you";
    default:
      return name ? `Project updated: ${name}` : "Projects changed";
  }
}

const indicator = document.querySelector("#live-status[data-org]");
if (indicator) {
  openSocket({
    path: `/ws/orgs/${encodeURIComponent(indicator.dataset.org)}/`,
    indicator,
    onMessage(event) {
      if (event.type === "error") {
        console.warn("[backlot live]", event.message ?? event);
      } else if (event.type.startsWith("project.")) {
        toast(describe(event), { key: event.project_id != null ? `project-${event.project_id}` : event.type });
        refreshRegions(["projects"]);
      }
    },
  });
}
