// The live review room: one websocket per session (docs/review-protocol.md).
//
// The server is the source of truth. Every state change arrives with a sequence number;
// the room remembers the last one and, after a drop, reconnects with ?last_seq= to get
// everything it missed. The presenter drives playback; others follow to the exact frame
// (requestVideoFrameCallback tells which frame is on screen).

import { framesToTimecode, frameToSeekTime, timeToFrame } from "./timecode.js";

const root = document.getElementById("review-room");
const $ = (selector) => root.querySelector(selector);
const byTestId = (id) => root.querySelector(`[data-testid="${id}"]`);
const FINAL_CODES = new Map([
  [4401, "Signed out"],
  [4403, "Access revoked"],
  [4404, "No access to this session"],
]);

const room = {
  sessionId: Number(root.dataset.session),
  org: root.dataset.org,
  me: null,
  session: null,
  seq: null,
  playlist: [],
  playback: null,
  presence: [],
  notes: new Map(),
  decisions: [],
  requests: new Map(),
  socket: null,
  backoff: 500,
  frame: 0,
  drawing: { active: false, strokes: [], current: null },
  localPlaying: false,
};

const playerA = document.getElementById("player-a");
const playerB = document.getElementById("player-b");
const overlay = document.getElementById("overlay");
const stage = document.getElementById("stage");

// Connection ------------------------------------------------------------------------------

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const query = room.seq === null ? "" : `?last_seq=${room.seq}`;
  const socket = new WebSocket(`${scheme}://${location.host}/ws/review/${room.sessionId}/${query}`);
  room.socket = socket;
  setConnection("connecting", "Connecting…");
  socket.addEventListener("open", () => {
    room.backoff = 500;
    setConnection("live", "Connected");
  });
  socket.addEventListener("message", (message) => handle(JSON.parse(message.data)));
  socket.addEventListener("close", (event) => {
    if (FINAL_CODES.has(event.code)) {
      setConnection("offline", FINAL_CODES.get(event.code));
      return;
    }
    setConnection("offline", "Reconnecting…");
    setTimeout(connect, room.backoff);
    room.backoff = Math.min(room.backoff * 2, 15_000);
  });
}

function send(message) {
  if (room.socket && room.socket.readyState === WebSocket.OPEN) {
    room.socket.send(JSON.stringify(message));
  }
}

function setConnection(state, text) {
  const el = byTestId("connection");
  el.dataset.state = state;
  el.textContent = text;
  root.dataset.connection = state;
}

// Incoming --------------------------------------------------------------------------------

function handle(frame) {
  if (typeof frame.seq === "number" && frame.type !== "state" && frame.type !== "resumed" && frame.type !== "pong") {
    if (room.seq !== null && frame.seq <= room.seq) return; // already applied
    room.seq = frame.seq;
  }
  switch (frame.type) {
    case "welcome":
      room.me = frame.you;
      room.session = frame.session;
      break;
    case "state":
      applyState(frame);
      break;
    case "resumed":
      room.seq = frame.seq;
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
      upsertNote(frame.note);
      if (frame.mentions?.includes(room.me.id) && frame.actor?.id !== room.me.id) {
        toast(`${frame.actor.name} mentioned you at frame ${frame.note.frame_in}`);
      }
      break;
    case "reply.created": {
      const note = room.notes.get(frame.reply.note);
      if (note && !note.replies.some((r) => r.id === frame.reply.id)) note.replies.push(frame.reply);
      renderNotes();
      break;
    }
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
    case "media.link": {
      const item = room.playlist.find((i) => i.version === frame.version);
      if (item?.media) item.media.url = frame.url;
      reloadSource(frame.version);
      break;
    }
    case "error":
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
}

// Playback --------------------------------------------------------------------------------

const rate = () => room.session.frame_rate;
const currentItem = () => room.playlist.find((i) => i.version === room.playback?.version);
const isPresenter = () => room.session?.presenter?.id === room.me?.id;
const isHost = () => room.session?.host?.id === room.me?.id;

function loadVersion(video, versionId) {
  const item = room.playlist.find((i) => i.version === versionId);
  if (!item?.media?.url) return false;
  if (video.dataset.version !== String(versionId)) {
    video.dataset.version = String(versionId);
    video.src = item.media.url;
    video.load();
  }
  return true;
}

function reloadSource(versionId) {
  for (const video of [playerA, playerB]) {
    if (video.dataset.version === String(versionId)) {
      const keep = video.currentTime;
      delete video.dataset.version;
      loadVersion(video, versionId);
      video.currentTime = keep;
    }
  }
}

/** Pause, then run `next` once the element reports it has paused. */
function pauseThen(video, next) {
  if (video.paused) {
    next();
    return;
  }
  video.addEventListener("pause", () => next(), { once: true });
  video.pause();
}

function seekTo(video, frame) {
  const target = frameToSeekTime(frame, rate());
  if (Math.abs(video.currentTime - target) > 1e-6) video.currentTime = target;
}

function followPlayback() {
  const state = room.playback;
  if (!state || !room.session) return;
  loadVersion(playerA, state.version);
  byTestId("label-a").textContent = currentItem()?.label ?? "";
  const scrubber = byTestId("scrubber");
  scrubber.max = String(Math.max(0, (currentItem()?.frame_count ?? 1) - 1));
  playerA.playbackRate = Math.abs(state.rate || 1);
  if (state.playing) {
    seekTo(playerA, state.frame);
    playerA.play().catch(() => {});
    room.localPlaying = true;
  } else {
    room.localPlaying = false;
    pauseThen(playerA, () => seekTo(playerA, state.frame));
  }
  setFrame(state.frame);
  renderPlaylist();
  renderDecision();
}

function setFrame(frame) {
  room.frame = frame;
  const display = byTestId("frame-display");
  display.dataset.frame = String(frame);
  display.textContent = `frame ${frame}`;
  const session = room.session;
  byTestId("timecode-display").textContent = framesToTimecode(
    session.start_frame + frame,
    session.frame_rate,
    session.drop_frame,
  );
  byTestId("scrubber").value = String(frame);
  byTestId("note-frame").textContent = `frame ${frame}`;
  syncCompare();
  renderDrawings();
}

// requestVideoFrameCallback: the frame actually presented, not an estimate of the clock.
function watchFrames(video) {
  if (!("requestVideoFrameCallback" in HTMLVideoElement.prototype)) {
    video.addEventListener("timeupdate", () => setFrame(timeToFrame(video.currentTime, rate())));
    return;
  }
  const onFrame = (_now, metadata) => {
    if (room.session) {
      const frame = timeToFrame(metadata.mediaTime, rate());
      playerA.dataset.presentedFrame = String(frame);
      // While a seek is pending, frames still in flight are not the new position.
      if (frame !== room.frame && !video.seeking) setFrame(frame);
    }
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}

function presenterSend(changes) {
  if (!isPresenter()) return;
  room.playback = { ...room.playback, ...changes };
  send({ type: "playback", ...changes });
}

function togglePlay() {
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

function seekFrame(frame) {
  const last = Math.max(0, (currentItem()?.frame_count ?? 1) - 1);
  const target = Math.min(Math.max(0, frame), last);
  room.localPlaying = false;
  byTestId("play").textContent = "Play";
  pauseThen(playerA, () => seekTo(playerA, target));
  setFrame(target);
  presenterSend({ playing: false, frame: target });
}

// Compare (A/B side by side, wipe) ---------------------------------------------------------

function renderCompare() {
  const compare = room.playback?.compare ?? { mode: "off" };
  stage.classList.remove("side_by_side", "wipe");
  if (compare.mode !== "off") stage.classList.add(compare.mode);
  stage.style.setProperty("--wipe", `${Math.round((compare.wipe ?? 0.5) * 100)}%`);
  byTestId("compare-mode").value = compare.mode;
  if (compare.version) byTestId("compare-version").value = String(compare.version);
  byTestId("wipe").value = String(compare.wipe ?? 0.5);
  if (compare.mode !== "off" && compare.version) {
    loadVersion(playerB, compare.version);
    byTestId("label-b").textContent =
      room.playlist.find((i) => i.version === compare.version)?.label ?? "";
    syncCompare();
  }
}

function syncCompare() {
  const compare = room.playback?.compare;
  if (!compare || compare.mode === "off" || !playerB.dataset.version) return;
  if (room.localPlaying) {
    if (playerB.paused) playerB.play().catch(() => {});
    if (Math.abs(playerB.currentTime - playerA.currentTime) > 0.1) playerB.currentTime = playerA.currentTime;
  } else {
    playerB.pause();
    seekTo(playerB, room.frame);
  }
}

// Drawing (SVG, coordinates normalised to the image) --------------------------------------

function viewBox() {
  const item = currentItem();
  const w = item?.media?.width || 16;
  const h = item?.media?.height || 9;
  return { w: 1000, h: (1000 * h) / w };
}

function strokeElement(stroke, box) {
  const ns = "http://www.w3.org/2000/svg";
  const [p0, p1] = [stroke.points[0], stroke.points[stroke.points.length - 1]];
  let el;
  if (stroke.tool === "rect" && p1) {
    el = document.createElementNS(ns, "rect");
    el.setAttribute("x", Math.min(p0[0], p1[0]) * box.w);
    el.setAttribute("y", Math.min(p0[1], p1[1]) * box.h);
    el.setAttribute("width", Math.abs(p1[0] - p0[0]) * box.w);
    el.setAttribute("height", Math.abs(p1[1] - p0[1]) * box.h);
  } else if (stroke.tool === "ellipse" && p1) {
    el = document.createElementNS(ns, "ellipse");
    el.setAttribute("cx", ((p0[0] + p1[0]) / 2) * box.w);
    el.setAttribute("cy", ((p0[1] + p1[1]) / 2) * box.h);
    el.setAttribute("rx", (Math.abs(p1[0] - p0[0]) / 2) * box.w);
    el.setAttribute("ry", (Math.abs(p1[1] - p0[1]) / 2) * box.h);
  } else {
    el = document.createElementNS(ns, "polyline");
    el.setAttribute("points", stroke.points.map(([x, y]) => `${x * box.w},${y * box.h}`).join(" "));
  }
  el.setAttribute("fill", "none");
  el.setAttribute("stroke", stroke.color);
  el.setAttribute("stroke-width", String(stroke.width * box.w));
  el.setAttribute("stroke-linecap", "round");
  el.setAttribute("stroke-linejoin", "round");
  el.dataset.testid = "stroke";
  return el;
}

function renderDrawings() {
  const box = viewBox();
  overlay.setAttribute("viewBox", `0 0 ${box.w} ${box.h}`);
  const shown = [];
  for (const note of room.notes.values()) {
    if (
      note.drawing &&
      note.version === room.playback?.version &&
      note.frame_in <= room.frame &&
      room.frame <= note.frame_out
    ) {
      for (const stroke of note.drawing.strokes) shown.push(strokeElement(stroke, box));
    }
  }
  for (const stroke of room.drawing.strokes) {
    const el = strokeElement(stroke, box);
    el.dataset.draft = "true";
    shown.push(el);
  }
  overlay.replaceChildren(...shown);
  overlay.dataset.strokes = String(shown.length);
}

function pointFromEvent(event) {
  const rect = overlay.getBoundingClientRect();
  const clamp = (v) => Math.min(1, Math.max(0, v));
  return [clamp((event.clientX - rect.left) / rect.width), clamp((event.clientY - rect.top) / rect.height)];
}

overlay.addEventListener("pointerdown", (event) => {
  if (!room.drawing.active) return;
  overlay.setPointerCapture(event.pointerId);
  room.drawing.current = {
    tool: "pen",
    color: byTestId("draw-color").value,
    width: Number(byTestId("draw-width").value),
    points: [pointFromEvent(event)],
  };
  room.drawing.strokes.push(room.drawing.current);
});
overlay.addEventListener("pointermove", (event) => {
  if (!room.drawing.current) return;
  room.drawing.current.points.push(pointFromEvent(event));
  renderDrawings();
});
overlay.addEventListener("pointerup", () => {
  room.drawing.current = null;
  renderDrawings();
});

// Notes -----------------------------------------------------------------------------------

function upsertNote(note) {
  const existing = room.notes.get(note.id);
  room.notes.set(note.id, { ...note, replies: existing?.replies ?? note.replies ?? [] });
  renderNotes();
  renderDrawings();
}

function renderNotes() {
  const list = byTestId("notes");
  const notes = [...room.notes.values()].sort(
    (a, b) => a.version - b.version || a.frame_in - b.frame_in || a.id - b.id,
  );
  byTestId("note-count").textContent = String(notes.length);
  list.replaceChildren(
    ...notes.map((note) => {
      const item = document.createElement("li");
      item.className = `note ${note.status}`;
      item.dataset.testid = "note";
      item.dataset.note = String(note.id);
      item.dataset.frame = String(note.frame_in);
      const label = room.playlist.find((i) => i.version === note.version)?.label ?? "";
      const range = note.frame_out > note.frame_in ? `${note.frame_in}–${note.frame_out}` : `${note.frame_in}`;
      const meta = document.createElement("div");
      meta.className = "note-meta";
      const jump = document.createElement("button");
      jump.className = "btn btn-link btn-sm";
      jump.dataset.testid = "note-jump";
      jump.textContent = `${label} · ${range}`;
      jump.title = "Jump to this frame";
      jump.addEventListener("click", () => jumpTo(note));
      const who = document.createElement("span");
      who.textContent = `${note.author.name}${note.drawing ? " · ✎" : ""}`;
      const resolve = document.createElement("button");
      resolve.className = "btn btn-ghost btn-sm";
      resolve.dataset.testid = "note-resolve";
      resolve.textContent = note.status === "open" ? "Resolve" : "Reopen";
      resolve.addEventListener("click", () =>
        send({
          type: "note.update",
          note: note.id,
          revision: note.revision,
          status: note.status === "open" ? "resolved" : "open",
        }),
      );
      meta.append(jump, who, resolve);
      const text = document.createElement("p");
      text.className = "note-text";
      text.dataset.testid = "note-text";
      text.textContent = note.text;
      const replies = document.createElement("ul");
      replies.className = "replies";
      for (const reply of note.replies ?? []) {
        const li = document.createElement("li");
        li.dataset.testid = "reply";
        li.textContent = `${reply.author.name}: ${reply.text}`;
        replies.append(li);
      }
      const form = document.createElement("form");
      form.className = "reply-form";
      const input = document.createElement("input");
      input.placeholder = "Reply";
      input.dataset.testid = "reply-input";
      input.required = true;
      form.append(input);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        send({ type: "reply.create", note: note.id, text: input.value });
        input.value = "";
      });
      item.append(meta, text, replies, form);
      return item;
    }),
  );
}

function jumpTo(note) {
  if (isPresenter()) {
    if (note.version !== room.playback.version) {
      presenterSend({ version: note.version, frame: note.frame_in, playing: false });
      followPlayback();
    } else {
      seekFrame(note.frame_in);
    }
  } else {
    // Followers look locally; the presenter's next move brings them back.
    if (note.version === room.playback.version) {
      playerA.pause();
      seekTo(playerA, note.frame_in);
      setFrame(note.frame_in);
    }
  }
}

byTestId("note-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = byTestId("note-text").value;
  const out = byTestId("note-frame-out").value;
  const frameIn = room.frame;
  const message = {
    type: "note.create",
    version: room.playback.version,
    frame_in: frameIn,
    frame_out: out ? Math.max(frameIn, Number(out)) : frameIn,
    text,
    client_id: `n${Date.now()}`,
  };
  if (room.drawing.strokes.length) message.drawing = { strokes: room.drawing.strokes };
  send(message);
  byTestId("note-text").value = "";
  byTestId("note-frame-out").value = "";
  room.drawing.strokes = [];
  setDrawing(false);
  renderDrawings();
});

// Rendering of the rest -------------------------------------------------------------------

function initials(person) {
  return person.name
    .split(/[\s._-]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0].toUpperCase())
    .join("");
}

function renderPresence() {
  const box = byTestId("presence");
  box.replaceChildren(
    ...room.presence.map((person) => {
      const el = document.createElement("span");
      el.className = "avatar";
      if (person.id === room.session?.presenter?.id) el.classList.add("is-presenter");
      el.dataset.testid = "avatar";
      el.dataset.user = String(person.id);
      el.title = `${person.name}${person.id === room.session?.presenter?.id ? " (presenting)" : ""}`;
      el.textContent = initials(person);
      return el;
    }),
  );
}

function renderControl() {
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

function renderSessionState() {
  const state = room.session?.state ?? "";
  const badge = byTestId("session-state");
  badge.textContent = state ? state[0].toUpperCase() + state.slice(1) : "";
  badge.dataset.state = state;
  byTestId("start-session").hidden = !isHost() || state !== "scheduled";
  byTestId("end-session").hidden = !isHost() || state !== "live";
}

function renderPlaylist() {
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
      status.textContent = item.media ? item.status.replace("_", " ") : "no proxy";
      button.append(label, status);
      button.addEventListener("click", () => {
        presenterSend({ version: item.version, frame: 0, playing: false });
        followPlayback();
      });
      return button;
    }),
  );
}

function renderDecision() {
  const item = currentItem();
  byTestId("version-status").textContent = item ? item.status.replace("_", " ") : "";
  byTestId("version-status").dataset.status = item?.status ?? "";
  const last = room.decisions.find((d) => d.version === item?.version);
  byTestId("decision-log").textContent = last
    ? `${last.decision.replace("_", " ")} by ${last.actor.name} · ${new Date(last.created_at).toLocaleString()}`
    : "";
}

function toast(text) {
  const box = document.getElementById("toasts");
  if (!box) return;
  const el = document.createElement("div");
  el.className = "toast";
  el.dataset.testid = "toast";
  el.textContent = text;
  box.append(el);
  setTimeout(() => el.remove(), 6000);
}

function setDrawing(active) {
  room.drawing.active = active;
  overlay.classList.toggle("drawing", active);
  byTestId("draw-toggle").setAttribute("aria-pressed", String(active));
}

// Controls --------------------------------------------------------------------------------

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
      room.drawing.strokes = [];
      renderDrawings();
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
      send({ type: "decision", version: room.playback.version, decision: target.dataset.decision });
      break;
    default:
      break;
  }
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
for (const link of root.querySelectorAll("a[data-fmt]")) {
  link.href = `/api/v1/orgs/${room.org}/review-sessions/${room.sessionId}/export/${link.dataset.fmt}/`;
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
for (const video of [playerA, playerB]) {
  video.addEventListener("error", () => {
    // Links are short-lived: ask for a fresh one.
    if (video.dataset.version) send({ type: "media.link", version: Number(video.dataset.version) });
  });
}
playerA.addEventListener("ended", () => {
  if (isPresenter() && room.localPlaying) togglePlay();
});

watchFrames(playerA);
connect();
window.backlotReview = room; // for debugging and tests
