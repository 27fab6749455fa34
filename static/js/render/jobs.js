// Live render jobs: follows /ws/projects/<project>/ and updates job rows, the job page's
// progress bar, state badge, cost and result, and streams log lines as they arrive.
// Elements: #render-live[data-project][data-job?] (the connection indicator); [data-job-id]
// containers holding [data-job-field=state|progress|message|cost|version|attempts];
// pre[data-testid=job-logs]. What only the server renders (attempts, result, provenance, a
// job launched elsewhere) is re-rendered in place from the page's regions.

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

const status = document.getElementById("render-live");

function containersFor(jobId) {
  return document.querySelectorAll(`[data-job-id="${jobId}"]`);
}

function updateJob(job) {
  const pageJob = status.dataset.job;
  const scopes = [...containersFor(job.id)];
  if (pageJob && String(job.id) === pageJob) scopes.push(document);
  for (const scope of scopes) {
    const badge = scope.querySelector('[data-job-field="state"]');
    if (badge) {
      badge.textContent = LABELS[job.state] || job.state;
      badge.className = `badge ${BADGES[job.state] || "badge-muted"}`;
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
  if (pageJob && String(job.id) === pageJob) {
    for (const form of document.querySelectorAll("[data-job-action]")) {
      const verb = form.dataset.jobAction;
      form.hidden = verb === "cancel" ? FINAL.has(job.state) : !["failed", "cancelled"].includes(job.state);
    }
    if (FINAL.has(job.state) && !FINAL.has(status.dataset.renderedState || "")) {
      // Attempts, result and provenance are rendered by the server.
      status.dataset.renderedState = job.state;
      refreshRegions(["job-error", "job-facts", "job-provenance"]);
    }
  } else if (!pageJob && !containersFor(job.id).length) {
    // A job launched elsewhere (API, another tab): show it in the list.
    refreshRegions(["jobs"]);
  }
}

function appendLog(jobId, log) {
  if (status.dataset.job !== String(jobId)) return;
  const pre = document.querySelector('[data-testid="job-logs"]');
  if (!pre || pre.querySelector(`[data-log-id="${log.id}"]`)) return;
  const line = document.createElement("span");
  line.className = `log-${log.level}`;
  line.dataset.logId = String(log.id);
  const time = new Date(log.created_at).toISOString().slice(11, 19);
  line.textContent = `${time}  ${log.message}\n`;
  const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
  pre.append(line);
  pre.dataset.lastLog = String(log.id);
  if (atBottom) pre.scrollTop = pre.scrollHeight;
}

if (status) {
  openSocket({
    path: `/ws/projects/${status.dataset.project}/`,
    indicator: status,
    onMessage(event) {
      if (event.type === "render.job") updateJob(event.job);
      else if (event.type === "render.log") appendLog(event.job_id, event.log);
    },
  });
}
