// Review session helpers used on several pages: times shown in the viewer's own time zone,
// the schedule picker (local time in, an ISO time with offset out), and copy-link buttons.

import { toast } from "../lib/toast.js";

const format = new Intl.DateTimeFormat(undefined, {
  weekday: "short",
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  timeZoneName: "short",
});

function pad(n) {
  return String(n).padStart(2, "0");
}

function localInputValue(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function showLocalTimes(root = document) {
  for (const el of root.querySelectorAll("time[data-local-time]")) {
    const when = new Date(el.getAttribute("datetime"));
    if (!Number.isNaN(when.getTime())) el.textContent = format.format(when);
  }
}

function wireSchedule(input) {
  const form = input.form;
  const hidden = form.querySelector("input[name=scheduled_for]");
  if (!hidden) return;
  if (hidden.value && !input.value) {
    const when = new Date(hidden.value);
    if (!Number.isNaN(when.getTime())) input.value = localInputValue(when);
  }
  const sync = () => {
    const when = input.value ? new Date(input.value) : null;
    hidden.value = when && !Number.isNaN(when.getTime()) ? when.toISOString() : "";
  };
  input.addEventListener("change", sync);
  input.addEventListener("input", sync);
  form.addEventListener("submit", sync);
  const zone = form.querySelector("[data-time-zone]");
  if (zone) zone.textContent = Intl.DateTimeFormat().resolvedOptions().timeZone;
}

async function copy(button) {
  const url = new URL(button.dataset.copyLink, window.location.href).href;
  try {
    await navigator.clipboard.writeText(url);
    toast("Link copied: anyone allowed to see it can open it.", { key: "copy-link" });
  } catch {
    // No clipboard (insecure origin or denied): show the link selected, ready to copy.
    const field = button.parentElement.querySelector("[data-copy-field]");
    if (field) {
      field.hidden = false;
      field.value = url;
      field.select();
    }
    toast("Press Ctrl+C (⌘C) to copy the selected link.", { key: "copy-link" });
  }
  button.dataset.copied = url;
}

showLocalTimes();
for (const input of document.querySelectorAll("input[data-schedule]")) wireSchedule(input);
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy-link]");
  if (button) {
    event.preventDefault();
    copy(button);
  }
});
