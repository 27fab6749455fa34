// Notes on a frame or frame range (with the draft drawing, if any), replies, resolve /
// reopen, and jumping to a note's frame.

import { presenterSend, seekFrame } from "./control.js";
import { noteLineage } from "./note_lineage.js";
import { renderDrawings, setDrawing } from "./room_drawing.js";
import { followPlayback, seekTo, setFrame } from "./player.js";
import { sendTracked } from "./outbox.js";
import { toast } from "../lib/toast.js";
import { byTestId, isPresenter, playerA, room, root, send } from "./state.js";

export function upsertNote(note) {
  const existing = room.notes.get(note.id);
  room.notes.set(note.id, { ...note, replies: existing?.replies ?? note.replies ?? [] });
  renderNotes();
  renderDrawings();
}

export function renderNotes() {
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
      const lineage = noteLineage(note, { base: root.dataset.rerunBase, org: room.org, newTab: true });
      item.append(meta, text, ...lineage, replies, form);
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
  };
  if (room.drawing.strokes.length) message.drawing = { strokes: room.drawing.strokes };
  if (!sendTracked(message)) toast("Offline: the note is sent when the connection is back.");
  byTestId("note-text").value = "";
  byTestId("note-frame-out").value = "";
  room.drawing.strokes = [];
  setDrawing(false);
  renderDrawings();
});

export function addReply(reply) {
  const note = room.notes.get(reply.note);
  if (note && !note.replies.some((r) => r.id === reply.id)) note.replies.push(reply);
  renderNotes();
}
