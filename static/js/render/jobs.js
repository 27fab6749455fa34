// Live render jobs: follows /ws/projects/<project>/ and updates job rows, the job page's
// progress bar, state badge, cost and result, and streams log lines as they arrive.
// Elements: #render-live[data-project][data-job?] (the connection indicator); [data-job-id]
// containers holding [data-job-field=state|progress|message|cost|version|attempts];
// pre[data-testid=job-logs].
//
// Events update the page in place at once. What the server renders (the header's state
// badge and actions, progress, error, facts, result, provenance; the jobs list) is also
// re-rendered from the page's regions whenever a job's state changes and every time the
// socket (re)connects: an event sent while the socket was down (a reload after a cancel, a
// network drop) is never replayed, so a (re)connect re-reads the page instead, and log
// lines written meanwhile are merged into the log.

import { refreshRegions } from "../lib/regions.js";
import { openSocket } from "../lib/socket.js";

const FINAL = new Set(["succeeded", "failed", "cancelled"]);
const BADGES = {
  queued: "badge-muted", dispatched: "badge-accent", running: "badge-accent",
  succeeded: "badge-success", failed: "badge-danger", cancelled: "badge-warning",
};
const LABELS = {
  queued: "Queued", dispatched: "Dispatched", running: "Running",
  succeeded: "Succeeded", failed: "Failed", cancelled: "Cancelled",
};
// The job page's server-rendered parts that follow the job's state.
const JOB_REGIONS = ["job-state", "job-actions", "job-progress", "job-error", "job-facts", "job-provenance"];

const status = document.getElementById("render-live");
// The state each job was last re-rendered for (the job page starts with its own).
const rendered = new Map();

function containersFor(jobId) {
  return document.querySelectorAll(`[data-job-id="${jobId}"]`);
}

function logsElement() {
  return document.querySelector('[data-testid="job-logs"]');
}

function insertLogLine(pre, line) {
  const id = Number(line.dataset.logId);
  const after = [...pre.querySelectorAll("[data-log-id]")].find((el) => Number(el.dataset.logId) > id);
  const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
  pre.insertBefore(line, after || null);
  if (!after) pre.dataset.lastLog = String(id);
  if (atBottom) pre.scrollTop = pre.scrollHeight;
}

/** Re-reads the job page: its state regions, and any log line this page has not shown. */
function refreshJobPage() {
  refreshRegions(JOB_REGIONS);
  const pre = logsElement();
  if (!pre) return;
  fetch(location.href, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
    .then(async (response) => {
      if (!response.ok || response.redirected) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const line of fresh.querySelectorAll('[data-testid="job-logs"] [data-log-id]')) {
        if (!pre.querySelector(`[data-log-id="${line.dataset.logId}"]`)) {
          insertLogLine(pre, document.adoptNode(line));
        }
      }
    })
    .catch((error) => console.warn("[backlot] could not catch up the job log", error));
}

function refreshPage() {
  if (status.dataset.job) refreshJobPage();
  else refreshRegions(["jobs"]);
}

function updateJob(job) {
  const pageJob = status.dataset.job;
  const isPageJob = Boolean(pageJob) && String(job.id) === pageJob;
  const scopes = [...containersFor(job.id)];
  if (isPageJob) scopes.push(document);
  for (const scope of scopes) {
    const badge = scope.querySelector('[data-job-field="state"]');
    if (badge) {
      badge.textContent = LABELS[job.state] || job.state;
      badge.className = `badge ${BADGES[job.state] || "badge-muted"}`;
      badge.dataset.state = job.state;
    }
    const bar = scope.querySelector('[data-job-field="progress"]');
    if (bar) {
      const percent = Math.round((job.state === "succeeded" ? 1 : job.progress) * 100);
      bar.className = `progress is-${job.state}`;
      bar.setAttribute("aria-valuenow", String(percent));
      bar.querySelector(".progress-bar").style.width = `${percent}%`;
    }
    const message = scope.querySelector('[data-job-field="message"]');
    if (message) message.textContent = job.error || job.progress_message || "";
    const cost = scope.querySelector('[data-job-field="cost"]');
    if (cost && job.cost !== null) cost.textContent = job.cost;
    const attempts = scope.querySelector('[data-job-field="attempts"]');
    if (attempts) attempts.textContent = attempts.textContent.replace(/^\d+/, String(job.attempts_started));
  }
  if (isPageJob) {
    for (const form of document.querySelectorAll("[data-job-action]")) {
      const verb = form.dataset.jobAction;
      form.hidden = verb === "cancel" ? FINAL.has(job.state) : !["failed", "cancelled"].includes(job.state);
    }
  }
  const known = pageJob ? isPageJob : containersFor(job.id).length > 0;
  if (!pageJob && !known) {
    // A job launched elsewhere (API, another tab): show it in the list.
    rendered.set(String(job.id), job.state);
    refreshRegions(["jobs"]);
  } else if (known && rendered.get(String(job.id)) !== job.state) {
    // A new state: re-render what the server draws for it (badge, actions, result...).
    rendered.set(String(job.id), job.state);
    if (isPageJob) refreshJobPage();
    else refreshRegions(["jobs"]);
  }
}

function appendLog(jobId, log) {
  if (status.dataset.job !== String(jobId)) return;
  const pre = logsElement();
  if (!pre || pre.querySelector(`[data-log-id="${log.id}"]`)) return;
  const line = document.createElement("span");
  line.className = `log-${log.level}`;
  line.dataset.logId = String(log.id);
  const time = new Date(log.created_at).toISOString().slice(11, 19);
  line.textContent = `${time}  ${log.message}\n`;
  insertLogLine(pre, line);
}

if (status) {
  if (status.dataset.job) rendered.set(status.dataset.job, status.dataset.renderedState || "");
  for (const row of document.querySelectorAll("[data-job-id]")) {
    const badge = row.querySelector('[data-job-field="state"]');
    if (badge && badge.dataset.state) rendered.set(row.dataset.jobId, badge.dataset.state);
  }
  openSocket({
    path: `/ws/projects/${status.dataset.project}/`,
    indicator: status,
    onState(state) {
      if (state !== "live") return;
      // Events sent before this socket joined (while the page loaded, or while it was
      // offline) are not replayed: re-read the page. The first connect of a freshly
      // loaded page does it too, as the page may have been rendered before an event.
      refreshPage();
    },
    onMessage(event) {
      if (event.type === "render.job") updateJob(event.job);
      else if (event.type === "render.log") appendLog(event.job_id, event.log);
    },
  });
}
