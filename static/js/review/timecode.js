// SMPTE ST 12-1 timecode labels for display (the same algorithm as apps/core/timecode.py).
// Frames are integers; `rate` is {num, den}; drop-frame only at 30000/1001 and 60000/1001.

export function nominalRate(rate) {
  return Math.ceil(rate.num / rate.den - 0.001);
}

export function framesToTimecode(frame, rate, dropFrame = false) {
  const fps = nominalRate(rate);
  let count = Math.max(0, Math.trunc(frame));
  if (dropFrame) {
    const drop = (2 * fps) / 30;
    const perTen = fps * 600 - drop * 9;
    const perMinute = fps * 60 - drop;
    const tens = Math.floor(count / perTen);
    const rest = count % perTen;
    count += drop * 9 * tens + (rest >= drop ? drop * Math.floor((rest - drop) / perMinute) : 0);
  }
  const ff = count % fps;
  const total = Math.floor(count / fps);
  const pad = (n) => String(n).padStart(2, "0");
  const sep = dropFrame ? ";" : ":";
  return `${pad(Math.floor(total / 3600) % 24)}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}${sep}${pad(ff)}`;
}

/** Seconds at which to seek so that `frame` is shown: the middle of the frame. */
export function frameToSeekTime(frame, rate) {
  return ((frame + 0.5) * rate.den) / rate.num;
}

/** The frame whose presentation time is `mediaTime` (seconds). */
export function timeToFrame(mediaTime, rate) {
  return Math.floor((mediaTime * rate.num) / rate.den + 0.001);
}
