// Live updates for one organization's dashboard.
//
// Opens ws(s)://<host>/ws/orgs/<org>/ when the page has <span id="live-status" data-org="...">,
// shows the connection state on that element, keeps the socket alive with a ping every 30 s
// and reconnects with exponential backoff. Project events show a toast offering a refresh.

const PING_INTERVAL_MS = 30_000;
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
const MAX_TOASTS = 4;
// Close codes the server uses for "not signed in" and "not a member": retrying cannot help.
const FINAL_CLOSE_CODES = new Map([
  [4401, "Live updates off: you are signed out"],
  [4404, "Live updates off: no access to this organization"],
]);

const STATES = ["connecting", "live", "offline", "stopped"];
const LABELS = { connecting: "Connecting", live: "Live", offline: "Offline", stopped: "Off" };

function toastContainer() {
  let box = document.getElementById("toasts");
  if (!box) {
    box = document.createElement("div");
    box.id = "toasts";
    box.className = "toasts";
    box.setAttribute("aria-live", "polite");
    box.dataset.testid = "toasts";
    document.body.append(box);
  }
  return box;
}

/** Shows a toast "<text> — refresh"; the same key replaces an older toast instead of stacking. */
export function showToast(text, { key = null, action = "refresh" } = {}) {
  const box = toastContainer();
  if (key) {
    for (const old of box.querySelectorAll(".toast")) {
      if (old.dataset.key === key) old.remove();
    }
  }
  const toast = document.createElement("div");
  toast.className = "toast";
  toast.setAttribute("role", "status");
  toast.dataset.testid = "toast";
  if (key) toast.dataset.key = key;

  const message = document.createElement("span");
  message.className = "toast-text";
  message.textContent = `${text} — `;

  const reload = document.createElement("a");
  reload.className = "toast-action";
  reload.href = location.href;
  reload.textContent = action;
  reload.dataset.testid = "toast-refresh";
  reload.addEventListener("click", (event) => {
    event.preventDefault();
    location.reload();
  });
  message.append(reload);

  const close = document.createElement("button");
  close.type = "button";
  close.className = "toast-close";
  close.setAttribute("aria-label", "Dismiss");
  close.title = "Dismiss";
  close.textContent = "×";
  close.addEventListener("click", () => toast.remove());

  toast.append(message, close);
  box.append(toast);
  const toasts = box.querySelectorAll(".toast");
  for (let i = 0; i < toasts.length - MAX_TOASTS; i += 1) toasts[i].remove();
  return toast;
}

function describe(event) {
  const name = typeof event.name === "string" && event.name ? event.name : null;
  switch (event.type) {
    case "project.created":
    case "project.shared":
      return `New project: ${name ?? "untitled"}`;
    case "project.unshared":
      return name ? `Project ${name} is no longer shared` : "A project is no longer shared with you";
    default:
      return name ? `Project updated: ${name}` : "Projects changed";
  }
}

function connectLive(indicator) {
  const org = indicator.dataset.org;
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/orgs/${encodeURIComponent(org)}/`;

  let socket = null;
  let attempt = 0;
  let pingTimer = null;
  let retryTimer = null;
  let stopped = false;

  const label = indicator.querySelector(".live-label");

  function setState(state, title) {
    for (const s of STATES) indicator.classList.remove(`is-${s}`);
    indicator.classList.add(`is-${state}`);
    indicator.dataset.state = state;
    indicator.title = title;
    indicator.setAttribute("aria-label", title);
    if (label) label.textContent = LABELS[state];
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function stopPing() {
    if (pingTimer !== null) clearInterval(pingTimer);
    pingTimer = null;
  }

  function scheduleReconnect() {
    if (stopped || retryTimer !== null) return;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt);
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2)); // jitter
    attempt += 1;
    setState("offline", `Live updates off — reconnecting in ${Math.max(1, Math.round(delay / 1000))} s`);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect();
    }, delay);
  }

  function handleMessage(raw) {
    let event;
    try {
      event = JSON.parse(raw);
    } catch {
      return;
    }
    if (!event || typeof event !== "object" || typeof event.type !== "string") return;
    switch (event.type) {
      case "hello":
      case "pong":
        return;
      case "error":
        console.warn("[backlot live]", event.message ?? event);
        return;
      default:
        if (event.type.startsWith("project.")) {
          const key = event.project_id != null ? `project-${event.project_id}` : event.type;
          showToast(describe(event), { key });
          indicator.dispatchEvent(new CustomEvent("backlot:event", { detail: event, bubbles: true }));
        }
    }
  }

  function connect() {
    if (stopped) return;
    setState("connecting", "Connecting to live updates…");
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (error) {
      console.warn("[backlot live] cannot open socket", error);
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.addEventListener("open", () => {
      if (socket !== ws) return;
      attempt = 0;
      setState("live", "Live updates on");
      stopPing();
      pingTimer = setInterval(() => send({ type: "ping" }), PING_INTERVAL_MS);
    });
    ws.addEventListener("message", (message) => {
      if (socket === ws && typeof message.data === "string") handleMessage(message.data);
    });
    ws.addEventListener("close", (closed) => {
      if (socket !== ws) return;
      socket = null;
      stopPing();
      if (FINAL_CLOSE_CODES.has(closed.code)) {
        stopped = true;
        setState("stopped", FINAL_CLOSE_CODES.get(closed.code));
        return;
      }
      scheduleReconnect();
    });
    // "error" is always followed by "close"; reconnecting is handled there.
  }

  function reconnectNow() {
    if (stopped || socket) return;
    if (retryTimer !== null) clearTimeout(retryTimer);
    retryTimer = null;
    attempt = 0;
    connect();
  }

  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") reconnectNow();
  });
  // Leaving the page: close cleanly; coming back from the back/forward cache: reconnect.
  window.addEventListener("pagehide", () => {
    const ws = socket;
    socket = null;
    stopPing();
    if (retryTimer !== null) clearTimeout(retryTimer);
    retryTimer = null;
    if (ws) ws.close(1000, "page hidden");
  });
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) reconnectNow();
  });

  connect();
  return { send, get socket() { return socket; } };
}

const indicator = document.querySelector("#live-status[data-org]");
if (indicator && indicator.dataset.org && "WebSocket" in window) {
  connectLive(indicator);
} else if (indicator) {
  indicator.classList.remove("is-connecting");
  indicator.classList.add("is-stopped");
  indicator.title = "Live updates unavailable";
  const label = indicator.querySelector(".live-label");
  if (label) label.textContent = "Off";
}
