// Drawing on the frame: an SVG layer over the player, coordinates normalised to the image.
// Shows the strokes of every note on the frame on screen, plus this browser's draft.

import { byTestId, currentItem, overlay, room } from "./state.js";

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

export function renderDrawings() {
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

export function setDrawing(active) {
  room.drawing.active = active;
  overlay.classList.toggle("drawing", active);
  byTestId("draw-toggle").setAttribute("aria-pressed", String(active));
}

export function clearDrawing() {
  room.drawing.strokes = [];
  renderDrawings();
}
