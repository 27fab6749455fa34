// The live review room: one websocket per session (docs/review-protocol.md).
//
// The server is the source of truth. Every state change arrives with a sequence number;
// the room remembers the last one and, after a drop, reconnects with ?last_seq= to get
// everything it missed. The presenter drives playback; others follow to the exact frame.
//
// This entry module connects and routes what arrives; the parts are the player
// (player.js), presenter sync and control (control.js), notes (notes.js), drawing
// (drawing.js), presence (presence.js) and the playlist with its decisions (playlist.js).

import { openSocket } from "../lib/socket.js";
import { toast } from "../lib/toast.js";
import { renderControl, renderSessionState, seekFrame, togglePlay } from "./control.js";
import { clearDrawing, setDrawing } from "./room_drawing.js";
import { addReply, renderNotes, upsertNote } from "./notes.js";
import { followPlayback, reloadSource, renderCompare, watchFrames } from "./player.js";
import { renderDecision, renderPlaylist } from "./playlist.js";
import { renderPresence } from "./presence.js";
import { resendPending, settle } from "./outbox.js";
import { byTestId, isPresenter, playerA, root, room, send, stage } from "./state.js";

// Incoming --------------------------------------------------------------------------------

function handle(frame) {
  // An ack names the seq its event will carry: that event may still be on its way, so the
  // ack must not count as applied (or the echo would be dropped as a repeat).
  const applies = !["state", "resumed", "ack"].includes(frame.type);
  if (typeof frame.seq === "number" && applies) {
    if (room.seq !== null && frame.seq <= room.seq) return; // already applied
    room.seq = frame.seq;
  }
  switch (frame.type) {
    case "welcome":
      room.connection += 1;
      room.me = frame.you;
      room.session = frame.session;
      break;
    case "state":
      applyState(frame);
      resendPending(); // notes still unanswered go again, with their client_id
      break;
    case "resumed":
      room.seq = frame.seq;
      resendPending();
      break;
    case "ack":
      settle(frame);
      break;
    case "presence.joined":
    case "presence.left":
      room.presence = frame.presence;
      renderPresence();
      break;
    case "control.changed":
      room.session.presenter = frame.presenter;
      room.requests.delete(frame.presenter.id);
      renderControl();
      break;
    case "control.requested":
      room.requests.set(frame.user.id, frame.user);
      renderControl();
      break;
    case "playback.play":
    case "playback.pause":
    case "playback.seek":
    case "playback.update":
      room.playback = frame.playback;
      if (!isPresenter() || frame.actor?.id !== room.me.id) followPlayback();
      renderCompare();
      break;
    case "note.created":
    case "note.updated":
      settle(frame);
      upsertNote(frame.note);
      if (frame.mentions?.includes(room.me.id) && frame.actor?.id !== room.me.id) {
        toast(`${frame.actor.name} mentioned you at frame ${frame.note.frame_in}`);
      }
      break;
    case "reply.created":
      addReply(frame.reply);
      break;
    case "decision.made":
      room.decisions.unshift(frame.decision);
      for (const item of room.playlist) {
        if (item.version === frame.decision.version) item.status = frame.version_status;
      }
      renderPlaylist();
      renderDecision();
      break;
    case "session.state":
      room.session.state = frame.state;
      renderSessionState();
      break;
    case "playlist.changed":
      // Versions were added, removed or reordered: take a fresh snapshot (new media links).
      send({ type: "sync" });
      if (frame.compare_with && frame.added) {
        // A re-run's result joined beside its parent (the server moves the room to it,
        // compared side by side, when the room was on the parent).
        room.joinedBeside = { version: frame.added, parent: frame.compare_with };
      } else if (frame.actor?.id !== room.me?.id) {
        toast(`${frame.actor?.name ?? "The host"} changed the playlist`);
      }
      break;
    case "session.updated":
      if (frame.title) byTestId("room-title").textContent = frame.title;
      break;
    case "media.link": {
      const item = room.playlist.find((i) => i.version === frame.version);
      if (item?.media) item.media.url = frame.url;
      reloadSource(frame.version);
      break;
    }
    case "error":
      settle(frame);
      if (frame.code === "conflict") toast(`Conflict: ${frame.message}`);
      else toast(frame.message);
      break;
    default:
      break;
  }
}

function applyState(state) {
  room.session = state.session;
  room.seq = state.seq;
  room.playlist = state.playlist;
  room.playback = state.playback;
  room.presence = state.presence;
  room.decisions = state.decisions.slice().reverse();
  room.notes = new Map(state.notes.map((n) => [n.id, n]));
  const media = state.playlist.find((i) => i.media)?.media;
  if (media?.width && media?.height) stage.style.setProperty("--aspect", `${media.width} / ${media.height}`);
  const compareSelect = byTestId("compare-version");
  compareSelect.replaceChildren(
    ...state.playlist.map((item) => new Option(item.label, String(item.version))),
  );
  renderPlaylist();
  renderPresence();
  renderControl();
  renderNotes();
  renderDecision();
  followPlayback();
  renderCompare();
  announceJoined();
  waitForProxies();
}

function announceJoined() {
  const joined = room.joinedBeside;
  const label = (id) => room.playlist.find((i) => i.version === id)?.label;
  if (!joined || !label(joined.version)) return;
  room.joinedBeside = null;
  toast(`${label(joined.version)} (a re-run) joined beside ${label(joined.parent)}`);
}

// A version that has just joined (a re-run's result) may still be making its review
// proxy: ask for a fresh snapshot until the versions on screen can play.
let proxyTimer = null;
function waitForProxies() {
  clearTimeout(proxyTimer);
  const compare = room.playback?.compare;
  const shown = [room.playback?.version, compare?.mode !== "off" ? compare?.version : null];
  const waiting = room.playlist.some((i) => shown.includes(i.version) && !i.media);
  root.dataset.waitingForProxy = String(waiting);
  if (waiting) proxyTimer = setTimeout(() => send({ type: "sync" }), 3000);
}

// Buttons ---------------------------------------------------------------------------------

root.addEventListener("click", (event) => {
  const target = event.target.closest("[data-action]");
  if (!target || target.disabled) return;
  switch (target.dataset.action) {
    case "toggle-play":
      togglePlay();
      break;
    case "step":
      seekFrame(room.frame + Number(target.dataset.step));
      break;
    case "draw":
      setDrawing(!room.drawing.active);
      break;
    case "clear-drawing":
      clearDrawing();
      break;
    case "request-control":
      send({ type: "control.request" });
      break;
    case "take-control":
      send({ type: "control.take" });
      break;
    case "session-state":
      send({ type: "session.state", state: target.dataset.state });
      break;
    case "decide":
      if (target.dataset.decision === "changes_requested") askForChanges();
      else send({ type: "decision", version: room.playback.version, decision: target.dataset.decision });
      break;
    default:
      break;
  }
});
// "Request changes" asks what should change: the comment travels with the decision.
const changesDialog = byTestId("changes-dialog");
function askForChanges() {
  if (!changesDialog) return;
  changesDialog.querySelector("textarea").value = "";
  changesDialog.showModal();
}
changesDialog?.querySelector("[data-changes-cancel]").addEventListener("click", () => changesDialog.close());
changesDialog?.querySelector("form").addEventListener("submit", (event) => {
  const comment = changesDialog.querySelector("textarea").value.trim();
  if (!comment) {
    event.preventDefault();
    return;
  }
  send({ type: "decision", version: room.playback.version, decision: "changes_requested", comment });
});

// Marker exports land on the cut's record timecode (the editor's sequence) unless the
// session's own reel is chosen.
const exportTimeline = root.querySelector("[data-export-timeline]");
function setExportLinks() {
  const timeline = exportTimeline?.value || "record";
  for (const link of root.querySelectorAll("a[data-fmt]")) {
    link.href = `/api/v1/orgs/${room.org}/review-sessions/${room.sessionId}/export/${link.dataset.fmt}/?timeline=${timeline}`;
  }
}
exportTimeline?.addEventListener("change", setExportLinks);
setExportLinks();

// Connection ------------------------------------------------------------------------------

watchFrames(playerA);
room.socket = openSocket({
  path: () => `/ws/review/${room.sessionId}/${room.seq === null ? "" : `?last_seq=${room.seq}`}`,
  indicator: byTestId("connection"),
  onState: (state) => {
    root.dataset.connection = state;
  },
  onMessage: handle,
});
window.backlotReview = room; // for debugging and tests
