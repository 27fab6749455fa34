// Presenter sync: the presenter drives playback (play, pause, seek, step, version, compare)
// and every move goes to the room; the others follow. Also who presents, control requests
// and the session's state (host only).

import { followPlayback, pauseThen, renderCompare, seekTo, setFrame } from "./player.js";
import { renderPresence } from "./presence.js";
import { byTestId, currentItem, isHost, isPresenter, playerA, rate, room, root, send } from "./state.js";
import { timeToFrame } from "./timecode.js";

export function presenterSend(changes) {
  if (!isPresenter()) return;
  room.playback = { ...room.playback, ...changes };
  send({ type: "playback", ...changes });
}

export function togglePlay() {
  if (!isPresenter()) return;
  if (room.localPlaying) {
    room.localPlaying = false;
    // The media clock settles only once the element has really paused: read the frame
    // then, land exactly on it and tell the room.
    pauseThen(playerA, () => {
      const frame = timeToFrame(playerA.currentTime, rate());
      seekTo(playerA, frame);
      setFrame(frame);
      presenterSend({ playing: false, frame });
    });
  } else {
    playerA.play().catch(() => {});
    room.localPlaying = true;
    presenterSend({ playing: true, frame: room.frame });
  }
  byTestId("play").textContent = room.localPlaying ? "Pause" : "Play";
}

export function seekFrame(frame) {
  const last = Math.max(0, (currentItem()?.frame_count ?? 1) - 1);
  const target = Math.min(Math.max(0, frame), last);
  room.localPlaying = false;
  byTestId("play").textContent = "Play";
  pauseThen(playerA, () => seekTo(playerA, target));
  setFrame(target);
  presenterSend({ playing: false, frame: target });
}

export function renderControl() {
  const presenter = isPresenter();
  root.dataset.role = presenter ? "presenter" : "follower";
  for (const el of root.querySelectorAll(".presenter-only")) el.disabled = !presenter;
  for (const el of root.querySelectorAll(".follower-only")) el.hidden = presenter;
  for (const el of root.querySelectorAll(".host-only")) el.hidden = !isHost() || presenter;
  renderSessionState();
  byTestId("presenter-label").textContent = room.session?.presenter
    ? `Presenter: ${room.session.presenter.name}`
    : "";
  const requests = byTestId("control-requests");
  requests.replaceChildren(
    ...(presenter || isHost() ? [...room.requests.values()] : []).map((person) => {
      const button = document.createElement("button");
      button.className = "btn btn-sm btn-secondary";
      button.dataset.testid = "grant-control";
      button.textContent = `Give control to ${person.name}`;
      button.addEventListener("click", () => send({ type: "control.grant", user: person.id }));
      return button;
    }),
  );
  renderPresence();
}

export function renderSessionState() {
  const state = room.session?.state ?? "";
  const badge = byTestId("session-state");
  badge.textContent = state ? state[0].toUpperCase() + state.slice(1) : "";
  badge.dataset.state = state;
  byTestId("start-session").hidden = !isHost() || state !== "scheduled";
  byTestId("end-session").hidden = !isHost() || state !== "live";
}

// The presenter's inputs ------------------------------------------------------------------

byTestId("playlist").addEventListener("click", (event) => {
  const button = event.target.closest("[data-testid=playlist-item]");
  if (!button || button.disabled) return;
  presenterSend({ version: Number(button.dataset.version), frame: 0, playing: false });
  followPlayback();
});
byTestId("scrubber").addEventListener("input", (event) => seekFrame(Number(event.target.value)));
for (const id of ["compare-mode", "compare-version", "wipe"]) {
  byTestId(id).addEventListener("change", () => {
    const mode = byTestId("compare-mode").value;
    const other = Number(byTestId("compare-version").value) || null;
    presenterSend({ compare: { mode, version: other, wipe: Number(byTestId("wipe").value) } });
    renderCompare();
  });
}
document.addEventListener("keydown", (event) => {
  if (event.target.closest("input, textarea, select")) return;
  if (event.key === "ArrowLeft") seekFrame(room.frame - 1);
  else if (event.key === "ArrowRight") seekFrame(room.frame + 1);
  else if (event.key === " ") {
    event.preventDefault();
    togglePlay();
  }
});
playerA.addEventListener("ended", () => {
  if (isPresenter() && room.localPlaying) togglePlay();
});
