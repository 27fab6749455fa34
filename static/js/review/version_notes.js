// Asynchronous review on the version page (templates/review/_version_notes.html): notes on
// a frame or frame range with drawings, replies, resolve / reopen, and the version's review
// state. The notes are the live room's notes: read and written over the REST API
// (apps/review/api.py, the same services as the room's socket), followed live on the
// project's channel (/ws/projects/<id>/: note.created, note.updated, reply.created,
// decision.made), and read again after a reconnect. The player (static/js/player.js) says
// which frame is on screen (`player:frame`) and seeks on `player:seek`.

import { openSocket } from "../lib/socket.js";
import { toast } from "../lib/toast.js";
import { createDrawingPad } from "./drawing.js";
import { noteLineage } from "./note_lineage.js";
import { framesToTimecode } from "./timecode.js";

const panel = document.querySelector("[data-version-notes]");
const $ = (id) => panel.querySelector(`[data-testid="${id}"]`);

const state = {
  org: panel.dataset.org,
  project: Number(panel.dataset.project),
  version: Number(panel.dataset.version),
  first: Number(panel.dataset.firstFrame),
  rate: { num: Number(panel.dataset.fpsNum), den: Number(panel.dataset.fpsDen) },
  startFrame: Number(panel.dataset.startFrame),
  dropFrame: panel.dataset.dropFrame === "true",
  canNote: panel.dataset.canNote === "true",
  canReply: panel.dataset.canReply === "true",
  rerunBase: panel.dataset.rerunBase,
  notes: new Map(),
  frame: 0,
  player: null,
  pad: null,
};

const api = (path) => `/api/v1/orgs/${encodeURIComponent(state.org)}/${path}`;
const timecode = (frame) => framesToTimecode(state.startFrame + frame, state.rate, state.dropFrame);
const shotFrame = (frame) => state.first + frame;

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function request(method, path, body) {
  const response = await fetch(api(path), {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data?.error?.message || `The server answered ${response.status}.`);
    error.status = response.status;
    error.fields = data?.error?.fields || {};
    throw error;
  }
  return data;
}

// Notes ----------------------------------------------------------------------------------

function upsert(note) {
  const known = state.notes.get(note.id);
  if (known && known.revision > note.revision) return; // a late, older copy
  state.notes.set(note.id, { ...note, replies: note.replies ?? known?.replies ?? [] });
}

async function load() {
  try {
    const page = await request("GET", `versions/${state.version}/notes/`);
    for (const note of page.results) upsert(note);
    render();
  } catch (error) {
    toast(`Could not load the notes: ${error.message}`, { key: "notes-load" });
  }
}

function render() {
  const notes = [...state.notes.values()].sort((a, b) => a.frame_in - b.frame_in || a.id - b.id);
  const open = notes.filter((n) => n.status === "open").length;
  $("note-count").textContent = String(notes.length);
  $("open-note-count").textContent = `${open} open`;
  $("notes-empty").hidden = notes.length > 0;
  const showResolved = panel.querySelector("[data-show-resolved]").checked;
  const list = $("notes");
  list.replaceChildren(...notes.filter((n) => showResolved || n.status === "open").map(noteItem));
  markCurrent();
  state.pad?.render();
}

function rangeLabel(note) {
  const start = `${timecode(note.frame_in)} · frame ${shotFrame(note.frame_in)}`;
  return note.frame_out > note.frame_in ? `${start}–${shotFrame(note.frame_out)}` : start;
}

function noteItem(note) {
  const item = document.createElement("li");
  item.className = `note ${note.status}`;
  item.dataset.testid = "note";
  item.dataset.note = String(note.id);
  item.dataset.frame = String(note.frame_in);
  item.dataset.frameOut = String(note.frame_out);
  item.dataset.status = note.status;
  const meta = document.createElement("div");
  meta.className = "note-meta";
  const jump = document.createElement("button");
  jump.type = "button";
  jump.className = "btn btn-link btn-sm mono";
  jump.dataset.testid = "note-jump";
  jump.textContent = rangeLabel(note);
  jump.title = "Go to this frame";
  jump.addEventListener("click", () => seek(note.frame_in));
  const who = document.createElement("span");
  who.dataset.testid = "note-author";
  const where = note.session ? " · in a session" : "";
  who.textContent = `${note.author.name}${note.drawing ? " · ✎ drawing" : ""}${where}`;
  meta.append(jump, who);
  if (state.canNote) {
    const resolve = document.createElement("button");
    resolve.type = "button";
    resolve.className = "btn btn-ghost btn-sm";
    resolve.dataset.testid = "note-resolve";
    resolve.textContent = note.status === "open" ? "Resolve" : "Reopen";
    resolve.addEventListener("click", () => setStatus(note, resolve));
    meta.append(resolve);
  }
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
  item.append(meta, text, ...noteLineage(note, { base: state.rerunBase, org: state.org }), replies);
  if (state.canReply) item.append(replyForm(note));
  return item;
}

function replyForm(note) {
  const form = document.createElement("form");
  form.className = "reply-form";
  const input = document.createElement("input");
  input.placeholder = "Reply";
  input.maxLength = 10000;
  input.dataset.testid = "reply-input";
  input.setAttribute("aria-label", `Reply to the note at ${rangeLabel(note)}`);
  const button = document.createElement("button");
  button.className = "btn btn-secondary btn-sm";
  button.type = "submit";
  button.textContent = "Reply";
  button.dataset.testid = "reply-submit";
  form.append(input, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!input.value.trim()) {
      input.setCustomValidity("Write a reply first.");
      input.reportValidity();
      input.setCustomValidity("");
      return;
    }
    button.disabled = true;
    try {
      addReply(await request("POST", `notes/${note.id}/replies/`, { text: input.value }));
      input.value = "";
    } catch (error) {
      toast(`Reply not sent: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function addReply(reply) {
  const note = state.notes.get(reply.note);
  if (!note) return;
  if (!note.replies.some((r) => r.id === reply.id)) note.replies.push(reply);
  render();
}

async function setStatus(note, button) {
  button.disabled = true;
  try {
    const status = note.status === "open" ? "resolved" : "open";
    upsert(await request("PATCH", `notes/${note.id}/`, { revision: note.revision, status }));
    render();
  } catch (error) {
    toast(error.status === 409 ? `Conflict: ${error.message}` : error.message);
    if (error.status === 409) load();
    button.disabled = false;
  }
}

function markCurrent() {
  for (const item of $("notes").children) {
    const on = Number(item.dataset.frame) <= state.frame && state.frame <= Number(item.dataset.frameOut);
    item.classList.toggle("is-current", on);
  }
}

// Player and drawing ---------------------------------------------------------------------

function seek(frame) {
  if (state.player) state.player.dispatchEvent(new CustomEvent("player:seek", { detail: { frame } }));
}

function setFrame(frame) {
  state.frame = frame;
  const at = $("note-at");
  if (at) {
    at.textContent = `${timecode(frame)} · frame ${shotFrame(frame)}`;
    at.dataset.frame = String(frame);
  }
  markCurrent();
  state.pad?.render();
}

function attachPlayer(root) {
  if (state.player === root) return;
  state.player = root;
  const overlay = root.querySelector("[data-note-overlay]");
  const tools = panel.querySelector(".draw-tools");
  if (!overlay) return;
  const control = (name) => panel.querySelector(`[data-draw-${name}]`);
  state.pad = createDrawingPad({
    overlay,
    aspect: () => ({ width: Number(panel.dataset.width) || 16, height: Number(panel.dataset.height) || 9 }),
    shown: () =>
      [...state.notes.values()]
        .filter((n) => n.drawing && n.frame_in <= state.frame && state.frame <= n.frame_out)
        .filter((n) => n.status === "open" || panel.querySelector("[data-show-resolved]").checked)
        .flatMap((n) => n.drawing.strokes),
    style: () =>
      tools
        ? {
            tool: control("tool").value,
            color: control("color").value,
            width: Number(control("width").value),
            text: control("text").value,
          }
        : { tool: "pen", color: "#ff3b30", width: 0.006, text: "" },
    onChange: showDraft,
  });
  if (root.dataset.currentFrame) setFrame(Number(root.dataset.currentFrame));
  else state.pad.render();
}

function showDraft() {
  const count = $("draw-count");
  if (!count || !state.pad) return;
  const n = state.pad.strokes.length;
  count.dataset.strokes = String(n);
  count.textContent = n ? `${n} mark${n === 1 ? "" : "s"} on this frame` : "";
}

function setDrawing(active) {
  if (!state.pad) return;
  state.pad.setActive(active);
  const toggle = panel.querySelector("[data-draw-toggle]");
  toggle.setAttribute("aria-pressed", String(active));
  toggle.textContent = active ? "Drawing…" : "Draw";
  if (active && state.player) {
    state.player.querySelector("video")?.pause();
    // The picture is where you draw: bring all of it on screen.
    const stage = state.player.querySelector("[data-player-stage]");
    const rect = stage?.getBoundingClientRect();
    if (rect && (rect.top < 0 || rect.bottom > innerHeight)) {
      const header = document.querySelector(".topbar")?.getBoundingClientRect().height ?? 0;
      scrollBy({ top: rect.top - header - 8, behavior: "instant" });
    }
  }
}

// Writing a note -------------------------------------------------------------------------

function showErrors(fields, message) {
  for (const el of panel.querySelectorAll(".note-composer .field-error")) {
    el.hidden = true;
    el.textContent = "";
  }
  let placed = false;
  for (const [name, messages] of Object.entries(fields || {})) {
    const el = $(`note-error-${name}`);
    if (!el) continue;
    el.textContent = [].concat(messages).join(" ");
    el.hidden = false;
    placed = true;
  }
  if (message && !placed) {
    $("note-error").textContent = message;
    $("note-error").hidden = false;
  }
}

const form = $("note-form");
if (form) {
  // Writing about a frame: the picture holds still on it (like drawing does).
  $("note-text").addEventListener("focus", () => state.player?.querySelector("video")?.pause());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("note-text").value;
    const outValue = $("note-frame-out").value;
    const frameIn = state.frame;
    if (!text.trim()) {
      showErrors({ text: ["Write the note first."] });
      return;
    }
    let frameOut = frameIn;
    if (outValue !== "") {
      frameOut = Number(outValue) - state.first;
      if (!Number.isInteger(frameOut) || frameOut < frameIn) {
        showErrors({ frame_out: [`The range ends at or after frame ${shotFrame(frameIn)}.`] });
        return;
      }
    }
    const body = { frame_in: frameIn, frame_out: frameOut, text };
    const drawing = state.pad && state.pad.strokes.length ? { strokes: state.pad.strokes } : null;
    if (drawing) body.drawing = drawing;
    const submit = $("note-submit");
    submit.disabled = true;
    showErrors({});
    try {
      const note = await request("POST", `versions/${state.version}/notes/`, body);
      upsert(note);
      $("note-text").value = "";
      $("note-frame-out").value = "";
      state.pad?.take();
      setDrawing(false);
      showDraft();
      render();
    } catch (error) {
      // The input stays as typed; the reason is shown beside the field at fault.
      showErrors(error.fields, error.message);
    } finally {
      submit.disabled = false;
    }
  });
}

panel.addEventListener("click", (event) => {
  const target = event.target.closest("button");
  if (!target) return;
  if (target.matches("[data-draw-toggle]")) setDrawing(!state.pad?.active);
  else if (target.matches("[data-draw-clear]")) state.pad?.clear();
});
panel.querySelector("[data-show-resolved]").addEventListener("change", render);

// Review state ---------------------------------------------------------------------------

function showDecision(decision, versionStatus) {
  const badge = $("review-status");
  const label = { approved: "Approved", changes_requested: "Changes requested" }[decision.decision];
  if (versionStatus) {
    for (const el of [badge, document.querySelector('[data-testid="version-status"]')]) {
      if (!el) continue;
      el.className = `status status-${versionStatus}`;
      el.dataset.status = versionStatus;
      el.textContent = label ?? versionStatus;
    }
  }
  const line = $("review-decision");
  line.dataset.decision = decision.decision;
  const when = new Date(decision.created_at);
  const strong = document.createElement("strong");
  strong.textContent = label ?? decision.decision;
  const time = document.createElement("time");
  time.dateTime = decision.created_at;
  time.textContent = when.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
  line.replaceChildren(strong, ` by ${decision.actor.name} · `, time);
}

// Live -----------------------------------------------------------------------------------

function handle(event) {
  if (event.version !== state.version) return;
  switch (event.type) {
    case "note.created":
    case "note.updated":
      upsert(event.note);
      render();
      break;
    case "reply.created":
      addReply(event.reply);
      break;
    case "decision.made":
      showDecision(event.decision, event.version_status);
      break;
    default:
      break;
  }
}

// A re-run asked by a note of this version moved on (queued, made its version): read the
// notes again so the thread shows "v005 made from this note".
let rerunReload = null;
function handleJob(event) {
  const job = event.job;
  if (event.type !== "render.job" || !job) return;
  const notes = [...state.notes.values()];
  const asked = notes.some((n) => (n.reruns ?? []).some((r) => r.job === job.id));
  // A new job may be a re-run from one of these notes (only an AI-made version's notes).
  const maybe = job.state === "queued" && notes.some((n) => n.source_job);
  if (!asked && !maybe) return;
  clearTimeout(rerunReload);
  rerunReload = setTimeout(load, 300);
}

function onProjectEvent(event) {
  handleJob(event);
  handle(event);
}

let wasLive = false;
openSocket({
  path: `/ws/projects/${state.project}/`,
  indicator: $("notes-connection"),
  onState(next) {
    panel.dataset.connection = next;
    // Nothing is replayed on this channel: after a reconnect, read the notes again.
    if (next === "live" && wasLive) load();
    if (next === "live") wasLive = true;
  },
  onMessage: onProjectEvent,
});

document.addEventListener("player:ready", (event) => attachPlayer(event.target));
document.addEventListener("player:frame", (event) => {
  if (event.target !== state.player) attachPlayer(event.target);
  setFrame(event.detail.frame);
});
const existing = document.querySelector("[data-player]");
if (existing) attachPlayer(existing);
load();
