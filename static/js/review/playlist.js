// The playlist (the version on screen is marked; only the presenter may switch) and the
// decision on the version on screen.

import { byTestId, currentItem, isPresenter, room } from "./state.js";

export function renderPlaylist() {
  const box = byTestId("playlist");
  box.replaceChildren(
    ...room.playlist.map((item) => {
      const button = document.createElement("button");
      button.className = "btn btn-secondary btn-sm playlist-item";
      button.dataset.testid = "playlist-item";
      button.dataset.version = String(item.version);
      button.setAttribute("aria-current", String(item.version === room.playback?.version));
      button.disabled = !isPresenter();
      const label = document.createElement("span");
      label.textContent = item.label;
      const status = document.createElement("span");
      status.className = "muted";
      status.textContent = item.media ? item.status.replace("_", " ") : "preparing proxy…";
      button.append(label, status);
      return button;
    }),
  );
}

export function renderDecision() {
  const item = currentItem();
  byTestId("version-status").textContent = item ? item.status.replace("_", " ") : "";
  byTestId("version-status").dataset.status = item?.status ?? "";
  const last = room.decisions.find((d) => d.version === item?.version);
  byTestId("decision-log").textContent = last
    ? `${last.decision.replace("_", " ")} by ${last.actor.name} · ${new Date(last.created_at).toLocaleString()}${
        last.comment ? ` · “${last.comment}”` : ""
      }`
    : "";
}
