// Image sequences in the upload dialog: frames picked together (multi-select, a folder
// picked with the folder picker, or a folder dropped) are grouped by their frame pattern
// (`plate.####.exr`, `plate_####.dpx`, any padding, any first frame) and each sequence
// uploads as ONE entry: one progress bar, frames PUT whole in parallel (part i = frame i
// in frame order), resumed from the frames already stored, one version at the end. Files
// that are not frames of a sequence upload one by one as before. A sequence with missing
// frames names them; when the server refuses the gaps, "Accept gaps as holds" retries.

// The same pattern as the server (apps/media/sequences.py `_FRAME_NAME`), so the dialog
// groups frames exactly as the server will read them.
const FRAME_NAME = /^(.*?)([._]?)(\d+)\.([A-Za-z0-9]+)$/;
const IMAGE_EXTENSIONS = new Set(["exr", "dpx", "tif", "tiff", "png", "jpg", "jpeg"]);

export function frameOf(name) {
  const match = FRAME_NAME.exec(name);
  if (!match) return null;
  const [, base, separator, digits, extension] = match;
  const ext = extension.toLowerCase();
  if (!IMAGE_EXTENSIONS.has(ext)) return null;
  return { pattern: `${base}${separator}${"#".repeat(digits.length)}.${ext}`, number: Number(digits) };
}

function missingOf(numbers) {
  const present = new Set(numbers);
  const missing = [];
  for (let n = numbers[0]; n <= numbers[numbers.length - 1]; n += 1) if (!present.has(n)) missing.push(n);
  return missing;
}

// "1003, 1007–1009": missing frames as a person reads them (at most 12 runs, as the server).
export function frameRuns(numbers) {
  const runs = [];
  for (const n of numbers) {
    const last = runs[runs.length - 1];
    if (last && n === last[1] + 1) last[1] = n;
    else runs.push([n, n]);
  }
  const shown = runs.slice(0, 12).map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`));
  return shown.join(", ") + (runs.length > 12 ? "…" : "");
}

// Split files into sequences (2+ numbered image frames of one pattern, one file per frame
// number) and single files.
export function groupFiles(files) {
  const groups = new Map();
  const singles = [];
  for (const file of files) {
    const frame = frameOf(file.name);
    if (!frame) {
      singles.push(file);
      continue;
    }
    if (!groups.has(frame.pattern)) groups.set(frame.pattern, []);
    groups.get(frame.pattern).push({ file, number: frame.number });
  }
  const sequences = [];
  for (const [pattern, frames] of groups) {
    const numbers = new Set(frames.map((f) => f.number));
    if (frames.length < 2 || numbers.size !== frames.length) {
      singles.push(...frames.map((f) => f.file));
      continue;
    }
    frames.sort((a, b) => a.number - b.number);
    const sorted = frames.map((f) => f.number);
    sequences.push({
      pattern,
      frames,
      first: sorted[0],
      last: sorted[sorted.length - 1],
      missing: missingOf(sorted),
      size: frames.reduce((sum, f) => sum + f.file.size, 0),
    });
  }
  return { sequences, singles };
}

// Files of a drop, walking dropped folders (DataTransferItem.webkitGetAsEntry). The
// entries must be taken while the drop event runs; reading them may take longer.
export function droppedFiles(dataTransfer, accept) {
  const entries = [...(dataTransfer?.items || [])]
    .filter((item) => item.kind === "file")
    .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null));
  if (!entries.length || entries.some((entry) => !entry)) {
    return Promise.resolve([...(dataTransfer?.files || [])]);
  }
  return Promise.all(entries.map((entry) => walk(entry, accept, true))).then((lists) => lists.flat());
}

function acceptedInFolder(name, accept) {
  if (name.startsWith(".")) return false; // .DS_Store and other hidden files
  const ext = name.includes(".") ? `.${name.split(".").pop().toLowerCase()}` : "";
  return !accept.length || accept.includes(ext);
}

async function walk(entry, accept, topLevel) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    return topLevel || acceptedInFolder(file.name, accept) ? [file] : [];
  }
  const reader = entry.createReader();
  const children = [];
  // readEntries answers in batches (100 in Chromium) until an empty one.
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    children.push(...batch);
  }
  const lists = await Promise.all(children.map((child) => walk(child, accept, false)));
  return lists.flat();
}

// Files chosen with the folder picker (`webkitdirectory`): the accepted kinds only.
export function folderFiles(files, accept) {
  return [...files].filter((file) => acceptedInFolder(file.name, accept));
}

// A FileUpload whose parts are the frames of a sequence.
export function sequenceUploadClass(FileUpload) {
  return class SequenceUpload extends FileUpload {
    constructor(sequence, options) {
      super({ name: sequence.pattern, size: sequence.size }, options);
      this.sequence = sequence;
      this.unit = "frames";
      this.allowHolds = false;
      this.row.classList.add("upload-sequence");
      this.row.dataset.sequence = "true";
      this.row.dataset.frames = String(sequence.frames.length);
      const range = document.createElement("span");
      range.className = "upload-sequence-range";
      range.dataset.testid = "upload-sequence-range";
      const count = `${sequence.frames.length} frame${sequence.frames.length === 1 ? "" : "s"}`;
      range.textContent = ` ${sequence.first}–${sequence.last} (${count}${
        sequence.missing.length ? `, ${sequence.missing.length} missing` : ""
      })`;
      this.row.querySelector(".mono").after(range);
      this.row.querySelector(".progress").setAttribute("aria-label", `Upload of the sequence ${sequence.pattern}`);
    }

    frameList() {
      return this.sequence.frames.map((f) => ({ name: f.file.name, size: f.file.size }));
    }

    async findOrStart() {
      const pending = await this.api.call("GET", `/uploads/?shot=${this.shot}`);
      const match = (pending.results || []).find(
        (u) =>
          u.original_filename === this.sequence.pattern &&
          u.size === this.sequence.size &&
          u.part_count === this.sequence.frames.length,
      );
      if (match) {
        const status = await this.api.call("GET", `/uploads/${match.id}/`);
        return { upload: status, stored: status.parts_stored || [] };
      }
      const upload = await this.api.call("POST", "/uploads/", {
        shot: Number(this.shot),
        frames: this.frameList(),
        allow_holds: this.allowHolds,
        kind: this.kind,
        color_space: this.colorSpace,
      });
      return { upload, stored: [] };
    }

    partSize(upload, number) {
      return this.sequence.frames[number - 1].file.size;
    }

    partBlob(upload, number) {
      // The whole frame, without a type: the presigned PUT signs no Content-Type.
      const file = this.sequence.frames[number - 1].file;
      return file.slice(0, file.size);
    }

    // The server refused the gaps: name them, and offer to accept them as holds.
    offerHolds(error) {
      this.say(error.message, "error");
      this.row.dataset.result = "gaps";
      const box = document.createElement("div");
      box.className = "upload-holds";
      box.dataset.testid = "upload-holds";
      const missing = document.createElement("p");
      missing.dataset.testid = "upload-missing-frames";
      const count = this.sequence.missing.length;
      missing.textContent = `Missing frame${count === 1 ? "" : "s"}: ${frameRuns(this.sequence.missing)}`;
      const id = `upload-holds-${Math.random().toString(36).slice(2)}`;
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = "Accept gaps as holds (each missing frame repeats the frame before it)";
      const check = document.createElement("input");
      check.type = "checkbox";
      check.id = id;
      check.dataset.testid = "upload-accept-holds";
      const go = document.createElement("button");
      go.type = "button";
      go.className = "btn btn-secondary";
      go.dataset.testid = "upload-with-holds";
      go.textContent = "Upload with holds";
      go.disabled = true;
      check.addEventListener("change", () => {
        go.disabled = !check.checked;
      });
      const field = document.createElement("div");
      field.className = "upload-holds-field";
      field.append(check, label);
      box.append(missing, field, go);
      this.row.append(box);
      return new Promise((resolve) => {
        go.addEventListener("click", () => {
          this.allowHolds = true;
          box.remove();
          delete this.row.dataset.result;
          this.say("", "");
          resolve();
        });
      });
    }

    async run() {
      for (;;) {
        try {
          await super.run();
          return;
        } catch (error) {
          const refusedGaps = error.status === 400 && this.sequence.missing.length && !this.allowHolds;
          if (!refusedGaps) throw error;
          await this.offerHolds(error);
        }
      }
    }
  };
}
