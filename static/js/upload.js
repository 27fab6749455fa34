// Resumable direct-to-S3 uploads: the API starts a multipart upload (the server picks the
// key and the part layout), the browser PUTs parts in parallel to presigned URLs with a
// progress bar, and after a dropped connection or a page reload it asks which parts S3
// already holds (ListParts on the server) and sends only the others. Closing the dialog
// re-renders the shot's version stack in place as each file lands; files can be dragged in.
// Frames of an image sequence (picked, a folder, or dropped) upload as one entry: upload_sequence.js.

import { refreshRegions } from "./lib/regions.js";
import { droppedFiles, folderFiles, groupFiles, sequenceUploadClass } from "./upload_sequence.js";

const PARALLEL = 4;
const RETRIES = 5;
const URL_BATCH = 16;

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function humanSize(bytes) {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function waitOnline() {
  if (navigator.onLine) return Promise.resolve();
  return new Promise((resolve) => window.addEventListener("online", resolve, { once: true }));
}

class Api {
  constructor(org, project) {
    this.base = `/api/v1/orgs/${encodeURIComponent(org)}/projects/${project}`;
  }

  async call(method, path, body) {
    const response = await fetch(this.base + path, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 204) return null;
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(data?.error?.message || `Request failed (${response.status}).`);
      error.status = response.status;
      throw error;
    }
    return data;
  }
}

function putPart(url, blob, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("PUT", url);
    request.upload.onprogress = (event) => onProgress(event.loaded);
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) resolve();
      else reject(new Error(`storage answered ${request.status}`));
    };
    request.onerror = () => reject(new Error("connection lost"));
    request.ontimeout = () => reject(new Error("timed out"));
    request.send(blob);
  });
}

class FileUpload {
  constructor(file, { api, shot, character, kind, colorSpace, list, versionUrl }) {
    this.file = file;
    this.api = api;
    this.shot = shot;
    // A character's reference still (no shot, no version) instead of a shot's new version.
    this.character = character;
    this.kind = kind;
    this.colorSpace = colorSpace;
    this.versionUrl = versionUrl;
    this.row = document.createElement("li");
    this.row.className = "upload-file";
    this.row.dataset.testid = "upload-file";
    this.row.dataset.filename = file.name;
    this.row.innerHTML = `
      <div class="upload-file-head"><span class="mono"></span><span class="muted" data-size></span></div>
      <div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0"><div class="progress-bar"></div></div>
      <div class="upload-file-state" data-testid="upload-state" role="status"></div>`;
    this.row.querySelector(".mono").textContent = file.name;
    this.row.querySelector(".progress").setAttribute("aria-label", `Upload of ${file.name}`);
    this.row.querySelector("[data-size]").textContent = humanSize(file.size);
    this.bar = this.row.querySelector(".progress");
    this.state = this.row.querySelector(".upload-file-state");
    list.append(this.row);
  }

  say(text, kind = "") {
    this.state.textContent = text;
    this.row.classList.toggle("is-error", kind === "error");
    this.row.classList.toggle("is-done", kind === "done");
  }

  linkVersion(media) {
    // "Ready: v001" opens the new version.
    const template = this.versionUrl;
    if (!template || !media.version || !media.version_label) return;
    const link = document.createElement("a");
    link.href = template.replace(/\/0\/$/, `/${media.version}/`);
    link.textContent = media.version_label;
    link.dataset.testid = "upload-version-link";
    this.state.textContent = "Ready: ";
    this.state.append(link);
  }

  progress(fraction) {
    const percent = Math.max(0, Math.min(100, Math.round(fraction * 100)));
    this.bar.firstElementChild.style.width = `${percent}%`;
    this.bar.setAttribute("aria-valuenow", String(percent));
    this.row.dataset.progress = String(percent);
  }

  async findOrStart() {
    const owner = this.character ? `character=${this.character}` : `shot=${this.shot}`;
    const pending = await this.api.call("GET", `/uploads/?${owner}`);
    const match = (pending.results || []).find(
      (u) => u.original_filename === this.file.name && u.size === this.file.size,
    );
    if (match) {
      const status = await this.api.call("GET", `/uploads/${match.id}/`);
      return { upload: status, stored: status.parts_stored || [] };
    }
    const upload = await this.api.call("POST", "/uploads/", {
      ...(this.character ? { character: Number(this.character) } : { shot: Number(this.shot) }),
      filename: this.file.name,
      size: this.file.size,
      kind: this.kind,
      color_space: this.colorSpace,
    });
    return { upload, stored: [] };
  }

  partSize(upload, number) {
    return number < upload.part_count
      ? upload.part_size
      : upload.size - upload.part_size * (upload.part_count - 1);
  }

  partBlob(upload, number) {
    const start = (number - 1) * upload.part_size;
    return this.file.slice(start, start + this.partSize(upload, number));
  }

  async run() {
    this.say("Starting…");
    const { upload, stored } = await this.findOrStart();
    this.upload = upload;
    this.row.dataset.uploadId = String(upload.id);
    const done = new Set(
      stored.filter((p) => p.size === this.partSize(upload, p.part_number)).map((p) => p.part_number),
    );
    let confirmed = 0;
    for (const number of done) confirmed += this.partSize(upload, number);
    if (done.size) {
      this.row.dataset.resumed = String(done.size);
      this.say(`Resuming: ${done.size} of ${upload.part_count} ${this.unit || "parts"} already stored.`);
    }
    const todo = [];
    for (let n = 1; n <= upload.part_count; n += 1) if (!done.has(n)) todo.push(n);
    const inflight = new Map();
    const update = () => {
      let sent = confirmed;
      for (const loaded of inflight.values()) sent += loaded;
      this.progress(sent / upload.size);
    };
    update();
    const urls = new Map();
    const urlFor = async (number) => {
      if (!urls.has(number)) {
        const batch = todo.filter((n) => n >= number && !urls.has(n)).slice(0, URL_BATCH);
        const signed = await this.api.call("POST", `/uploads/${upload.id}/parts/`, { parts: batch });
        for (const part of signed.parts) urls.set(part.part_number, part.url);
      }
      return urls.get(number);
    };
    const queue = [...todo];
    const worker = async () => {
      while (queue.length) {
        const number = queue.shift();
        const blob = this.partBlob(upload, number);
        for (let attempt = 0; ; attempt += 1) {
          try {
            await waitOnline();
            await putPart(await urlFor(number), blob, (loaded) => {
              inflight.set(number, loaded);
              update();
            });
            break;
          } catch (error) {
            inflight.delete(number);
            update();
            urls.delete(number);
            if (attempt + 1 >= RETRIES) throw error;
            this.say(`Part ${number}: ${error.message}, retrying…`);
            await sleep(500 * 2 ** attempt);
          }
        }
        inflight.delete(number);
        confirmed += blob.size;
        update();
        if (!this.state.textContent.startsWith("Resuming")) {
          this.say(`Uploading… ${humanSize(confirmed)} of ${humanSize(upload.size)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, todo.length) }, worker));
    this.say("Assembling…");
    const media = await this.api.call("POST", `/uploads/${upload.id}/complete/`);
    this.progress(1);
    if (media.state === "rejected") throw new Error(`Rejected: ${media.rejection_reason}`);
    await this.follow(media);
  }

  async follow(media) {
    // Validation and the proxy run in the background; show where they are.
    for (;;) {
      const current = await this.api.call("GET", `/media/${media.id}/`);
      if (current.state === "rejected") {
        this.say(`Rejected: ${current.rejection_reason}`, "error");
        this.row.dataset.result = "rejected";
        return;
      }
      if (current.state === "quarantined") this.say("Validating…");
      if (current.state === "ready") {
        if (current.proxy_status === "ready" || current.proxy_status === "none") {
          this.say(current.version_label ? `Ready: ${current.version_label}` : "Ready", "done");
          this.linkVersion(current);
          this.row.dataset.result = "ready";
          this.row.dataset.versionId = String(current.version);
          return;
        }
        if (current.proxy_status === "failed") {
          this.say(`Validated, but the proxy failed: ${current.proxy_error}`, "error");
          return;
        }
        this.say(`Making the review proxy… ${current.proxy_progress}%`);
      }
      await sleep(1000);
    }
  }
}

const SequenceUpload = sequenceUploadClass(FileUpload);

function setup() {
  const dialog = document.getElementById("upload-dialog");
  if (!dialog) return;
  const api = new Api(dialog.dataset.org, dialog.dataset.project);
  const input = dialog.querySelector("[data-upload-input]");
  const list = dialog.querySelector("[data-upload-list]");
  const regions = dialog.dataset.refresh?.split(",") || ["shot-specs", "version-stack"];
  // The page behind the dialog follows each file as it lands (not only after Close).
  const refreshBehind = () => refreshRegions(regions);
  document.querySelector("[data-upload-open]")?.addEventListener("click", () => dialog.showModal());
  dialog.querySelector("[data-upload-close]").addEventListener("click", () => dialog.close());
  // A second picker chooses a whole folder (e.g. the frames of a sequence).
  const folder = dialog.querySelector("[data-upload-folder]");
  const accept = (input.accept || "").split(",").map((ext) => ext.trim().toLowerCase()).filter(Boolean);
  const start = async (files) => {
    if (!files.length) return;
    const maxBytes = Number(dialog.dataset.maxBytes);
    input.value = "";
    if (folder) folder.value = "";
    const options = {
      api,
      shot: dialog.dataset.shot,
      character: dialog.dataset.character,
      kind: dialog.querySelector("[data-upload-kind]").value,
      colorSpace: dialog.querySelector("[data-upload-color]").value,
      list,
      versionUrl: dialog.dataset.versionUrl,
    };
    // Frames of an image sequence upload together as one version (shots only).
    const { sequences, singles } = dialog.dataset.shot ? groupFiles(files) : { sequences: [], singles: files };
    const jobs = [
      ...sequences.map((sequence) => new SequenceUpload(sequence, options)),
      ...singles.map((file) => new FileUpload(file, options)),
    ];
    await Promise.all(
      jobs.map(async (job) => {
        const { file } = job;
        if (file.size > maxBytes) {
          job.say(`Too large: ${humanSize(file.size)}, the limit is ${humanSize(maxBytes)}.`, "error");
          return;
        }
        try {
          await job.run();
        } catch (error) {
          job.say(error.message, "error");
          job.row.dataset.result = "error";
        }
        refreshBehind();
      }),
    );
  };
  dialog
    .querySelector("[data-upload-start]")
    .addEventListener("click", () => start([...input.files, ...folderFiles(folder?.files || [], accept)]));
  setupDrop(dialog, start, accept);
}

function setupDrop(dialog, start, accept) {
  // Drag and drop: files dropped anywhere on the open dialog (or its drop zone) upload.
  const zone = dialog.querySelector("[data-upload-drop]");
  const over = (event) => {
    if (![...(event.dataTransfer?.types || [])].includes("Files")) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
    zone?.classList.add("is-over");
  };
  dialog.addEventListener("dragenter", over);
  dialog.addEventListener("dragover", over);
  dialog.addEventListener("dragleave", (event) => {
    if (!dialog.contains(event.relatedTarget)) zone?.classList.remove("is-over");
  });
  dialog.addEventListener("drop", (event) => {
    event.preventDefault();
    zone?.classList.remove("is-over");
    // Dropped folders are walked (their frames group into sequences).
    droppedFiles(event.dataTransfer, accept).then((files) =>
      start(files.filter((file) => file.size > 0 || file.type)),
    );
  });
  // Files dragged onto the page open the dialog.
  document.addEventListener("dragover", (event) => {
    if (dialog.open || ![...(event.dataTransfer?.types || [])].includes("Files")) return;
    event.preventDefault();
    dialog.showModal();
  });
}

setup();
