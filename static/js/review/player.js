// The player: loads the version on screen (and the compare version), follows the room's
// playback to the exact frame and shows which frame is on screen: requestVideoFrameCallback
// tells the frame actually presented, not an estimate of the clock.

import { renderDrawings } from "./room_drawing.js";
import { renderDecision, renderPlaylist } from "./playlist.js";
import { byTestId, currentItem, playerA, playerB, rate, room, send, stage } from "./state.js";
import { framesToTimecode, frameToSeekTime, timeToFrame } from "./timecode.js";

function loadVersion(video, versionId) {
  const item = room.playlist.find((i) => i.version === versionId);
  if (!item?.media?.url) {
    // No review proxy yet (a re-run's result just joined): show nothing rather than the
    // previous version under the new label; the room asks again until it can play.
    if (video.dataset.version !== undefined) {
      delete video.dataset.version;
      video.removeAttribute("src");
      video.load();
    }
    video.dataset.waiting = String(versionId);
    return false;
  }
  delete video.dataset.waiting;
  if (video.dataset.version !== String(versionId)) {
    video.dataset.version = String(versionId);
    video.src = item.media.url;
    video.load();
  }
  return true;
}

export function reloadSource(versionId) {
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
export function pauseThen(video, next) {
  if (video.paused) {
    next();
    return;
  }
  video.addEventListener("pause", () => next(), { once: true });
  video.pause();
}

export function seekTo(video, frame) {
  const target = frameToSeekTime(frame, rate());
  if (Math.abs(video.currentTime - target) > 1e-6) video.currentTime = target;
}

export function followPlayback() {
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

export function setFrame(frame) {
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
export function watchFrames(video) {
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

// Compare (A/B side by side, wipe) ---------------------------------------------------------

export function renderCompare() {
  const compare = room.playback?.compare ?? { mode: "off" };
  stage.classList.remove("side_by_side", "wipe");
  if (compare.mode !== "off") stage.classList.add(compare.mode);
  stage.style.setProperty("--wipe", `${Math.round((compare.wipe ?? 0.5) * 100)}%`);
  byTestId("compare-mode").value = compare.mode;
  if (compare.version) byTestId("compare-version").value = String(compare.version);
  byTestId("wipe").value = String(compare.wipe ?? 0.5);
  // The wipe position means something only while wiping.
  byTestId("wipe").hidden = compare.mode !== "wipe";
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

for (const video of [playerA, playerB]) {
  video.addEventListener("error", () => {
    // Links are short-lived: ask for a fresh one.
    if (video.dataset.version) send({ type: "media.link", version: Number(video.dataset.version) });
  });
}
