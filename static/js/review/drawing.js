// Drawing on the frame: an SVG layer over a player, coordinates normalised to the image
// (docs/review-protocol.md). One module for every place notes are drawn: the live room
// (room_drawing.js binds it to the room's state) and the version page (version_notes.js).
//
// Tools: pen (free hand), line, arrow, rect, ellipse (drag from corner to corner) and text
// (a label placed where you click). A pad shows the strokes of the notes on the frame on
// screen plus this browser's draft.

export const TOOLS = ["pen", "arrow", "rect", "ellipse", "line", "text"];

const NS = "http://www.w3.org/2000/svg";

function shape(name, attributes) {
  const el = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attributes)) el.setAttribute(key, String(value));
  return el;
}

/** The SVG element of one stroke in a `box` of {w, h} user units. */
export function strokeElement(stroke, box) {
  const points = stroke.points;
  const [p0, p1] = [points[0], points[points.length - 1]];
  const width = stroke.width * box.w;
  let el;
  if (stroke.tool === "text") {
    el = shape("text", {
      x: p0[0] * box.w,
      y: p0[1] * box.h,
      fill: stroke.color,
      "font-size": Math.max(12, width * 6),
      "font-family": "system-ui, sans-serif",
      "font-weight": 600,
      "dominant-baseline": "hanging",
      "paint-order": "stroke",
      stroke: "rgba(0,0,0,.6)",
      "stroke-width": Math.max(1, width / 2),
    });
    el.textContent = stroke.text ?? "";
  } else if (stroke.tool === "rect") {
    el = shape("rect", {
      x: Math.min(p0[0], p1[0]) * box.w,
      y: Math.min(p0[1], p1[1]) * box.h,
      width: Math.abs(p1[0] - p0[0]) * box.w,
      height: Math.abs(p1[1] - p0[1]) * box.h,
    });
  } else if (stroke.tool === "ellipse") {
    el = shape("ellipse", {
      cx: ((p0[0] + p1[0]) / 2) * box.w,
      cy: ((p0[1] + p1[1]) / 2) * box.h,
      rx: (Math.abs(p1[0] - p0[0]) / 2) * box.w,
      ry: (Math.abs(p1[1] - p0[1]) / 2) * box.h,
    });
  } else if (stroke.tool === "arrow") {
    const [x0, y0, x1, y1] = [p0[0] * box.w, p0[1] * box.h, p1[0] * box.w, p1[1] * box.h];
    const angle = Math.atan2(y1 - y0, x1 - x0);
    const head = Math.max(width * 4, 12);
    const wing = (side) =>
      `${x1 - head * Math.cos(angle + side * 0.5)},${y1 - head * Math.sin(angle + side * 0.5)}`;
    el = shape("path", { d: `M${x0},${y0} L${x1},${y1} M${wing(1)} L${x1},${y1} L${wing(-1)}` });
  } else {
    el = shape("polyline", { points: points.map(([x, y]) => `${x * box.w},${y * box.h}`).join(" ") });
  }
  if (stroke.tool !== "text") {
    el.setAttribute("fill", "none");
    el.setAttribute("stroke", stroke.color);
    el.setAttribute("stroke-width", String(width));
    el.setAttribute("stroke-linecap", "round");
    el.setAttribute("stroke-linejoin", "round");
  }
  el.dataset.testid = "stroke";
  el.dataset.tool = stroke.tool;
  return el;
}

/**
 * A drawing pad on `overlay` (an <svg>):
 * - `aspect()` -> {width, height} of the image (for the view box),
 * - `shown()` -> the strokes of the notes to show under the draft,
 * - `style()` -> {tool, color, width, text} for the next stroke,
 * - `onChange()` after the draft changed (optional).
 * Returns the pad: `{active, strokes, render(), setActive(bool), clear(), take()}`; `strokes`
 * is the draft (assignable), `take()` returns it as a drawing (or null) and empties it.
 */
export function createDrawingPad({ overlay, aspect, shown, style, onChange = () => {} }) {
  const pad = {
    active: false,
    strokes: [],
    current: null,
    render,
    setActive(active) {
      pad.active = active;
      overlay.classList.toggle("drawing", active);
    },
    clear() {
      pad.strokes = [];
      pad.current = null;
      render();
      onChange();
    },
    take() {
      const drawing = pad.strokes.length ? { strokes: pad.strokes } : null;
      pad.strokes = [];
      pad.current = null;
      render();
      return drawing;
    },
  };

  function viewBox() {
    const { width, height } = aspect() || {};
    const w = width || 16;
    const h = height || 9;
    return { w: 1000, h: (1000 * h) / w };
  }

  function render() {
    const box = viewBox();
    overlay.setAttribute("viewBox", `0 0 ${box.w} ${box.h}`);
    const elements = [];
    for (const stroke of shown()) elements.push(strokeElement(stroke, box));
    for (const stroke of pad.strokes) {
      const el = strokeElement(stroke, box);
      el.dataset.draft = "true";
      elements.push(el);
    }
    overlay.replaceChildren(...elements);
    overlay.dataset.strokes = String(elements.length);
    overlay.dataset.draft = String(pad.strokes.length);
  }

  function pointFromEvent(event) {
    const rect = overlay.getBoundingClientRect();
    const clamp = (v) => Math.min(1, Math.max(0, v));
    return [clamp((event.clientX - rect.left) / rect.width), clamp((event.clientY - rect.top) / rect.height)];
  }

  overlay.addEventListener("pointerdown", (event) => {
    if (!pad.active) return;
    event.preventDefault();
    const { tool = "pen", color, width, text = "" } = style();
    const point = pointFromEvent(event);
    if (tool === "text") {
      if (!text.trim()) return;
      pad.strokes.push({ tool, color, width, text: text.trim(), points: [point] });
      render();
      onChange();
      return;
    }
    overlay.setPointerCapture(event.pointerId);
    pad.current = { tool, color, width, points: tool === "pen" ? [point] : [point, point] };
    pad.strokes.push(pad.current);
    render();
  });
  overlay.addEventListener("pointermove", (event) => {
    if (!pad.current) return;
    const point = pointFromEvent(event);
    if (pad.current.tool === "pen") pad.current.points.push(point);
    else pad.current.points[1] = point;
    render();
  });
  const finish = () => {
    if (!pad.current) return;
    pad.current = null;
    render();
    onChange();
  };
  overlay.addEventListener("pointerup", finish);
  overlay.addEventListener("pointercancel", finish);
  return pad;
}
