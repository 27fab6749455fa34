// "Re-run with changes" on a note about an AI-made version, and the versions re-run from
// the note ("v005 made from this note"). Shared by the live room (notes.js) and the
// version page (version_notes.js). The note data (apps/review/serializers.py note_data)
// carries `source_job` (the job that made the note's version) and `reruns`.

/** The launch form pre-filled from the version's job, recording the note that asks. */
export function rerunHref(base, note) {
  return `${base}?rerun_of=${encodeURIComponent(note.source_job)}&note=${encodeURIComponent(note.id)}`;
}

/** Elements to append to a note item: the re-run link (when `base` is set: the viewer may
 *  launch jobs) and one line per re-run the note asked for. */
export function noteLineage(note, { base, org, newTab = false }) {
  const parts = [];
  if (base && note.source_job) {
    const link = document.createElement("a");
    link.className = "btn btn-secondary btn-sm note-rerun";
    link.dataset.testid = "note-rerun";
    link.href = rerunHref(base, note);
    link.textContent = "Re-run with changes";
    link.title = "Open the operation's form with this version's parameters and inputs";
    if (newTab) {
      // The room stays open (and presenting) while the form is filled in.
      link.target = "_blank";
      link.rel = "noopener";
      link.setAttribute("aria-label", "Re-run with changes (opens in a new tab)");
    }
    parts.push(link);
  }
  for (const rerun of note.reruns ?? []) {
    const line = document.createElement("p");
    line.className = "note-made muted";
    line.dataset.testid = "note-made";
    line.dataset.job = String(rerun.job);
    if (rerun.version) {
      line.dataset.version = String(rerun.version);
      const link = document.createElement("a");
      link.href = `/projects/${encodeURIComponent(org)}/${note.project}/versions/${rerun.version}/`;
      link.textContent = rerun.label;
      link.dataset.testid = "note-made-link";
      line.append(link, " made from this note");
    } else {
      const state = { failed: "failed", cancelled: "cancelled" }[rerun.state] ?? "in progress";
      line.textContent = `Re-run (job #${rerun.job}) ${state}`;
    }
    parts.push(line);
  }
  return parts;
}
