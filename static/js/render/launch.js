// The generated launch form (templates/render/_launch_form.html): shows the chosen
// operation's fields (the others are disabled, so they are not sent), keeps each slider and
// its number box in step, lists the chosen shot's media first in every input picker, and
// lets a region of interest be drawn on the poster frame of the input it belongs to.

const form = document.querySelector("[data-launch-form]");

function showOperation() {
  const name = form.querySelector("[data-operation-select]").value;
  for (const fieldset of form.querySelectorAll("fieldset[data-op]")) {
    const on = fieldset.dataset.op === name;
    fieldset.hidden = !on;
    fieldset.disabled = !on;
  }
  for (const picker of form.querySelectorAll("[data-region-picker]")) updateRegion(picker);
}

function sortByShot() {
  const shot = form.querySelector("[data-shot-select]").value;
  for (const select of form.querySelectorAll("select[data-input-role]")) {
    const options = [...select.options].filter((o) => o.value);
    const mine = options.filter((o) => o.dataset.shot === shot);
    const rest = options.filter((o) => o.dataset.shot !== shot);
    for (const option of [...mine, ...rest]) select.append(option);
  }
}

function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}

function bindSliders() {
  for (const slider of form.querySelectorAll("input[type=range][data-slider-for]")) {
    const box = slider.parentElement.querySelector(`input[name="${slider.dataset.sliderFor}"]`);
    slider.addEventListener("input", () => { box.value = slider.value; });
    box.addEventListener("input", () => {
      const value = Number(box.value);
      if (box.value.trim() !== "" && Number.isFinite(value)) slider.value = String(value);
    });
  }
}

// Regions of interest --------------------------------------------------------------------

function parseRegion(text) {
  const parts = text.split(",").map((v) => Number(v.trim()));
  return parts.length === 4 && parts.every(Number.isFinite) ? parts : null;
}

function drawBox(picker, region) {
  const box = picker.querySelector("[data-region-box]");
  box.hidden = !region;
  if (!region) return;
  const [x, y, w, h] = region;
  Object.assign(box.style, {
    left: `${x * 100}%`, top: `${y * 100}%`, width: `${w * 100}%`, height: `${h * 100}%`,
  });
}

function updateRegion(picker) {
  const fieldset = picker.closest("fieldset");
  const source = fieldset.querySelector(`select[data-input-role="${picker.dataset.regionOf}"]`);
  const option = source?.selectedOptions[0];
  const stage = picker.querySelector("[data-region-stage]");
  const image = picker.querySelector("[data-region-image]");
  const hint = picker.querySelector("[data-region-hint]");
  const poster = option?.dataset.poster;
  stage.hidden = !poster;
  if (poster && image.getAttribute("src") !== poster) image.src = poster;
  hint.textContent = poster
    ? "Drag on the frame to draw the region."
    : option?.value
      ? "This input has no poster frame yet; type the region as fractions."
      : `Choose the ${picker.dataset.regionOf} to draw the region on its poster frame.`;
  drawBox(picker, parseRegion(picker.querySelector("[data-region-value]").value));
}

function bindRegion(picker) {
  const stage = picker.querySelector("[data-region-stage]");
  const text = picker.querySelector("[data-region-value]");
  let start = null;
  const point = (event) => {
    const rect = stage.getBoundingClientRect();
    return [
      clamp((event.clientX - rect.left) / rect.width, 0, 1),
      clamp((event.clientY - rect.top) / rect.height, 0, 1),
    ];
  };
  const regionTo = (end) => {
    const x = Math.min(start[0], end[0]);
    const y = Math.min(start[1], end[1]);
    const w = Math.max(Math.abs(end[0] - start[0]), 0.01);
    const h = Math.max(Math.abs(end[1] - start[1]), 0.01);
    return [x, y, Math.min(w, 1 - x), Math.min(h, 1 - y)].map((v) => Math.round(v * 1e4) / 1e4);
  };
  stage.addEventListener("pointerdown", (event) => {
    start = point(event);
    stage.setPointerCapture(event.pointerId);
  });
  stage.addEventListener("pointermove", (event) => {
    if (start) drawBox(picker, regionTo(point(event)));
  });
  stage.addEventListener("pointerup", (event) => {
    if (!start) return;
    const region = regionTo(point(event));
    start = null;
    text.value = region.join(", ");
    drawBox(picker, region);
  });
  text.addEventListener("input", () => drawBox(picker, parseRegion(text.value)));
  picker.querySelector("[data-region-clear]").addEventListener("click", () => {
    text.value = "";
    drawBox(picker, null);
  });
  const fieldset = picker.closest("fieldset");
  fieldset
    .querySelector(`select[data-input-role="${picker.dataset.regionOf}"]`)
    ?.addEventListener("change", () => updateRegion(picker));
}

if (form) {
  form.querySelector("[data-operation-select]").addEventListener("change", showOperation);
  form.querySelector("[data-shot-select]").addEventListener("change", sortByShot);
  bindSliders();
  for (const picker of form.querySelectorAll("[data-region-picker]")) bindRegion(picker);
  showOperation();
  sortByShot();
}
