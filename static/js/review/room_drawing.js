// The room's drawing pad (drawing.js) bound to the room's state: it shows the strokes of
// the notes on the frame on screen and keeps this browser's draft in `room.drawing`.

import { createDrawingPad } from "./drawing.js";
import { byTestId, currentItem, overlay, room } from "./state.js";

const pad = createDrawingPad({
  overlay,
  aspect: () => currentItem()?.media ?? null,
  shown: () => {
    const strokes = [];
    for (const note of room.notes.values()) {
      if (
        note.drawing &&
        note.version === room.playback?.version &&
        note.frame_in <= room.frame &&
        room.frame <= note.frame_out
      ) {
        strokes.push(...note.drawing.strokes);
      }
    }
    return strokes;
  },
  style: () => ({
    tool: byTestId("draw-tool")?.value || "pen",
    color: byTestId("draw-color").value,
    width: Number(byTestId("draw-width").value),
    text: byTestId("draw-text")?.value ?? "",
  }),
});
room.drawing = pad;

export function renderDrawings() {
  pad.render();
}

export function setDrawing(active) {
  pad.setActive(active);
  byTestId("draw-toggle").setAttribute("aria-pressed", String(active));
}

export function clearDrawing() {
  pad.clear();
}
