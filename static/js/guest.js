// The guest review page (/g/<token>/): the player is static/js/player.js (frame stepping,
// fresh links); this adds the guest's live channel (/ws/guest/<token>/): the link being
// revoked or expiring closes the page at once, a running session's presenter can be
// followed, and notes written elsewhere re-render the notes in place. Notes are posted with
// fetch at the player's current frame; errors show next to the text, which is kept.

import { setupPlayer } from "./player.js";
import { refreshRegions } from "./lib/regions.js";
import { openSocket } from "./lib/socket.js";
import { toast } from "./lib/toast.js";

const page = document.querySelector("[data-guest-page]");
const token = page.dataset.token;
const fps = Number(page.dataset.fpsNum) / Number(page.dataset.fpsDen);
const currentVersion = Number(page.dataset.version);

function player() {
  return document.querySelector("[data-player]");
}

function closePage(message) {
  // Stop showing anything at once; the reload shows the server's answer (link closed).
  for (const video of document.querySelectorAll("video")) {
    video.pause();
    video.removeAttribute("src");
    video.load();
  }
  page.replaceChildren();
  const box = document.createElement("div");
  box.className = "error-page";
  box.dataset.testid = "guest-closed";
  const title = document.createElement("h1");
  title.className = "error-title";
  title.textContent = "Link closed";
  const text = document.createElement("p");
  text.className = "error-message";
  text.textContent = message;
  box.append(title, text);
  page.append(box);
}

// Wait for the watermarked copy: re-render the player until it is there.
async function waitForCopy() {
  while (document.querySelector("[data-guest-wait]")) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await refreshRegions(["guest-player"]);
  }
  const root = player();
  if (root) setupPlayer(root);
}
if (document.querySelector("[data-guest-wait]")) waitForCopy();

function follow(playback) {
  const box = document.querySelector("[data-guest-follow]");
  if (!box || !box.checked || !playback || playback.version == null) return;
  if (Number(playback.version) !== currentVersion) {
    location.search = `?v=${playback.version}`;
    return;
  }
  const video = player()?.querySelector("video");
  if (!video) return;
  if (typeof playback.frame === "number") {
    const target = (playback.frame + 0.5) / fps;
    if (Math.abs(video.currentTime - target) > 1 / fps) video.currentTime = target;
  }
  if (playback.playing && video.paused) video.play().catch(() => {});
  if (!playback.playing && !video.paused) video.pause();
}

const socket = openSocket({
  path: `/ws/guest/${encodeURIComponent(token)}/`,
  indicator: document.querySelector("[data-guest-status]"),
  onMessage(frame) {
    if (frame.type === "error" && ["link_closed", "access_revoked"].includes(frame.code)) {
      socket.close();
      closePage(frame.message);
    } else if (frame.type === "welcome") {
      follow(frame.playback);
    } else if (frame.type === "playback") {
      follow(frame.playback);
    } else if (frame.type === "notes.changed") {
      refreshRegions(["guest-notes"]);
    } else if (frame.type === "session.state") {
      refreshRegions(["guest-notes"]);
      if (frame.state === "ended") toast("The session has ended.");
    }
  },
});

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.matches("[data-guest-note-form]")) return;
  event.preventDefault();
  const error = form.querySelector("[data-guest-note-error]");
  const root = player();
  form.querySelector("[data-guest-note-frame]").value = root?.dataset.currentFrame || "0";
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      if (response.status === 410) return closePage(body.error?.message || "This link is closed.");
      error.textContent = body.error?.message || "The note could not be saved.";
      error.hidden = false;
      return;
    }
    error.hidden = true;
    form.reset();
    await refreshRegions(["guest-notes"]);
    toast("Note added.");
  } catch {
    error.textContent = "Could not reach the server; your note is kept, try again.";
    error.hidden = false;
  } finally {
    button.disabled = false;
  }
});
