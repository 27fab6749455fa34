// The version page: plays the review proxy (links are short-lived, so an expired link is
// re-minted by reloading the source at the same frame), shows the frame number of the
// shot under the playhead and its timecode (a label: the project's start timecode plus the
// frame), steps frame by frame (← / →, with shift 10 frames), and follows a proxy still
// being made: once it is ready (or failed), the page's header and player are re-rendered
// in place.
//
// Other parts of the page (the notes panel) talk to the player through events on its
// root: it sends `player:ready` and `player:frame` ({frame}: 0-based index into the
// version's media) and obeys `player:seek` ({frame}).

import { refreshRegions } from "./lib/regions.js";
import { framesToTimecode, frameToSeekTime } from "./review/timecode.js";

const REGIONS = ["version-header", "version-body", "version-outputs"];

let keyStep = null;
document.addEventListener("keydown", (event) => {
  if (!keyStep || event.target.closest("input, textarea, select, [contenteditable]")) return;
  if (event.altKey || event.ctrlKey || event.metaKey) return;
  const size = event.shiftKey ? 10 : 1;
  if (event.key === "ArrowLeft") {
    event.preventDefault();
    keyStep(-size);
  } else if (event.key === "ArrowRight") {
    event.preventDefault();
    keyStep(size);
  }
});

export function setupPlayer(root) {
  const video = root.querySelector("video");
  const fps = Number(root.dataset.fpsNum) / Number(root.dataset.fpsDen);
  const first = Number(root.dataset.firstFrame);
  const frames = Number(root.dataset.frames);
  const rate = { num: Number(root.dataset.fpsNum), den: Number(root.dataset.fpsDen) };
  const startFrame = Number(root.dataset.startFrame || 0);
  const dropFrame = root.dataset.dropFrame === "true";
  const label = root.querySelector("[data-frame]");
  const timecode = root.querySelector("[data-timecode]");
  const frameAt = (seconds) => Math.min(frames - 1, Math.max(0, Math.floor(seconds * fps + 1e-3)));
  const show = (seconds) => {
    const frame = frameAt(seconds);
    if (root.dataset.currentFrame === String(frame)) return;
    label.textContent = String(first + frame);
    label.dataset.index = String(frame);
    if (timecode) timecode.textContent = framesToTimecode(startFrame + frame, rate, dropFrame);
    root.dataset.currentFrame = String(frame);
    root.dispatchEvent(new CustomEvent("player:frame", { bubbles: true, detail: { frame } }));
  };
  if ("requestVideoFrameCallback" in HTMLVideoElement.prototype) {
    const onFrame = (_now, metadata) => {
      root.dataset.presentedFrames = String(metadata.presentedFrames);
      show(metadata.mediaTime);
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  } else {
    video.addEventListener("timeupdate", () => show(video.currentTime));
  }
  video.addEventListener("seeked", () => show(video.currentTime));
  const seek = (frame) => {
    video.pause();
    const target = Math.min(frames - 1, Math.max(0, frame));
    video.currentTime = frameToSeekTime(target, rate); // the middle of the frame
  };
  const step = (delta) => seek(frameAt(video.currentTime) + delta);
  for (const button of root.querySelectorAll("[data-step]")) {
    button.addEventListener("click", (event) =>
      step(Number(button.dataset.step) * (event.shiftKey ? 10 : 1)),
    );
  }
  root.addEventListener("player:seek", (event) => seek(Number(event.detail.frame)));
  // One key handler for the page, whichever player element is current (regions re-render).
  keyStep = step;
  show(video.currentTime);
  root.dispatchEvent(new CustomEvent("player:ready", { bubbles: true }));
  let retried = 0;
  video.addEventListener("error", () => {
    // Presigned links live five minutes: get a fresh one and continue where we were.
    if (retried > 3) return;
    retried += 1;
    const at = video.currentTime;
    const base = video.currentSrc.split("?")[0];
    video.src = `${video.getAttribute("src").split("?")[0]}?retry=${Date.now()}`;
    video.addEventListener("loadedmetadata", () => { video.currentTime = at; }, { once: true });
    root.dataset.reloadedFrom = base;
  });
}

// Nothing more will happen to the media: show the page as the server renders it now.
const settled = (state, proxy) =>
  state === "rejected" || proxy === "ready" || proxy === "failed" || (state === "ready" && proxy === "none");

async function follow(panel) {
  if (settled(panel.dataset.state, panel.dataset.proxyStatus)) return;
  const url = `/api/v1/orgs/${encodeURIComponent(panel.dataset.org)}/projects/${panel.dataset.project}/media/${panel.dataset.media}/`;
  const text = panel.querySelector("[data-processing-text]");
  const bar = panel.querySelector(".progress-bar");
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return;
    const media = await response.json();
    if (settled(media.state, media.proxy_status)) {
      await refreshRegions(REGIONS);
      start();
      return;
    }
    if (media.state === "quarantined") text.textContent = "Validating the upload…";
    else text.textContent = `Making the review proxy… ${media.proxy_progress}%`;
    bar.style.width = `${media.proxy_progress}%`;
    bar.parentElement.setAttribute("aria-valuenow", String(media.proxy_progress));
  }
}

async function waitForCopy(panel) {
  const me = Number(panel.dataset.user);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const response = await fetch(panel.dataset.url, { credentials: "same-origin" });
    if (!response.ok) return;
    const page = await response.json();
    if ((page.results || []).some((m) => m.kind === "proxy" && m.viewer === me && m.state === "ready")) {
      await refreshRegions(REGIONS);
      start();
      return;
    }
  }
}

function start() {
  for (const root of document.querySelectorAll("[data-player]")) setupPlayer(root);
  for (const panel of document.querySelectorAll("[data-viewer-wait]")) waitForCopy(panel);
  for (const panel of document.querySelectorAll("[data-processing]")) follow(panel);
}

start();
