// The one websocket client of every live page: /ws/orgs/<org>/ (dashboard),
// /ws/projects/<project>/ (render jobs) and /ws/review/<session>/ (the review room).
//
// - After a drop it reconnects with exponential backoff and jitter: the n-th retry waits a
//   random time between half and all of min(30 s, 1 s × 2^n), so a restarted server is not
//   hit by every browser at the same instant. It retries at once when the browser comes back
//   online or the tab becomes visible again.
// - The server's final close codes stop it for good (retrying cannot help): 4401 signed out,
//   4403 access revoked, 4404 no access.
// - `path` may be a function: it is called at every (re)connect, so a channel that can resume
//   asks for what it missed (the review room adds ?last_seq=<n>, docs/review-protocol.md).
// - A ping every 30 s keeps proxies from closing an idle socket; a connection that has not
//   heard anything for two pings is given up as dead and replaced.
// - Its state is shown on one indicator, `.live-status` (dot + label; the markup is
//   templates/includes/live_status.html): connecting, live, offline (retrying), stopped.

const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
const PING_INTERVAL_MS = 30_000;
const SILENCE_LIMIT_MS = 2 * PING_INTERVAL_MS + 5_000;

export const FINAL_CLOSE_CODES = new Map([
  [4401, "Signed out"],
  [4403, "Access revoked"],
  [4404, "No access"],
]);

const STATES = ["connecting", "live", "offline", "stopped"];
const LABELS = { connecting: "Connecting", live: "Live", offline: "Offline", stopped: "Off" };

/** Milliseconds to wait before retry number `attempt` (0-based). */
export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Shows a connection state on a `.live-status` element (no-op without one). */
export function showConnectionState(indicator, state, title, label = LABELS[state]) {
  if (!indicator) return;
  if (!indicator.querySelector(".live-label")) {
    const dot = document.createElement("span");
    dot.className = "live-dot";
    dot.setAttribute("aria-hidden", "true");
    const text = document.createElement("span");
    text.className = "live-label";
    indicator.replaceChildren(dot, text);
  }
  indicator.classList.add("live-status");
  for (const s of STATES) indicator.classList.remove(`is-${s}`);
  indicator.classList.add(`is-${state}`);
  indicator.dataset.state = state;
  indicator.title = title;
  indicator.setAttribute("aria-label", title);
  indicator.querySelector(".live-label").textContent = label;
}

/**
 * Opens a websocket to `path` (a string or a function returning one, with its query) and keeps
 * it open. `onMessage(frame)` gets every JSON object the server sends except `pong`;
 * `onState(state)` every state change. Returns `{ send(message) -> bool, close(), state }`.
 */
export function openSocket({ path, onMessage, onState = () => {}, indicator = null }) {
  let socket = null;
  let state = null;
  let attempt = 0;
  let retryTimer = null;
  let pingTimer = null;
  let lastHeard = 0;
  let stopped = false;

  function setState(next, title, label) {
    state = next;
    showConnectionState(indicator, next, title, label);
    onState(next);
  }

  function url() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    return `${scheme}://${location.host}${typeof path === "function" ? path() : path}`;
  }

  function send(message) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  function stopTimers() {
    if (pingTimer !== null) clearInterval(pingTimer);
    if (retryTimer !== null) clearTimeout(retryTimer);
    pingTimer = null;
    retryTimer = null;
  }

  function stop(reason) {
    stopped = true;
    stopTimers();
    setState("stopped", `Live updates off: ${reason}`, reason);
  }

  function scheduleReconnect() {
    if (stopped || retryTimer !== null) return;
    const delay = backoffDelay(attempt);
    attempt += 1;
    setState("offline", `Offline: reconnecting in ${Math.max(1, Math.round(delay / 1000))} s`);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect();
    }, delay);
  }

  /** Forget the current socket (its late events are ignored) and close it. */
  function drop(code, reason) {
    const ws = socket;
    socket = null;
    stopTimers();
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(code, reason);
  }

  function connect() {
    if (stopped) return;
    setState("connecting", "Connecting to live updates…");
    let ws;
    try {
      ws = new WebSocket(url());
    } catch (error) {
      console.warn("[backlot socket] cannot open", error);
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.addEventListener("open", () => {
      if (socket !== ws) return;
      lastHeard = Date.now();
      setState("live", "Live updates on");
      pingTimer = setInterval(() => {
        if (Date.now() - lastHeard > SILENCE_LIMIT_MS) {
          drop(4000, "no answer");
          scheduleReconnect();
        } else {
          send({ type: "ping" });
        }
      }, PING_INTERVAL_MS);
    });
    ws.addEventListener("message", (message) => {
      if (socket !== ws || typeof message.data !== "string") return;
      lastHeard = Date.now();
      attempt = 0; // the server accepted us and speaks: the next drop starts from 1 s again
      let frame;
      try {
        frame = JSON.parse(message.data);
      } catch {
        return;
      }
      if (!frame || typeof frame !== "object" || typeof frame.type !== "string") return;
      if (frame.type !== "pong") onMessage(frame);
    });
    ws.addEventListener("close", (closed) => {
      if (socket !== ws) return;
      socket = null;
      stopTimers();
      if (FINAL_CLOSE_CODES.has(closed.code)) stop(FINAL_CLOSE_CODES.get(closed.code));
      else scheduleReconnect();
    });
    // "error" is always followed by "close": reconnecting is handled there.
  }

  function reconnectNow() {
    if (stopped || socket) return;
    stopTimers();
    attempt = 0;
    connect();
  }

  if (!("WebSocket" in window)) {
    stop("not supported by this browser");
    return { send, close() {}, get state() { return state; } };
  }
  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") reconnectNow();
  });
  // Leaving the page: close cleanly; coming back from the back/forward cache: reconnect.
  window.addEventListener("pagehide", () => drop(1000, "page hidden"));
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) reconnectNow();
  });
  connect();

  return {
    send,
    close() {
      stopped = true;
      drop(1000, "closed");
    },
    get state() {
      return state;
    },
  };
}
