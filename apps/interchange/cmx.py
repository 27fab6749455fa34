"""A CMX 3600 EDL reader of our own, as Avid Media Composer, Premiere Pro and DaVinci Resolve
write them (the OTIO adapter ignores `FCM:`, refuses a dissolve as the first event, reads
`M2` against the exact rate and drops `AX` reels). What it reads, construct by construct, is
in docs/interchange.md ("Readers"). Every error names the line (and column) and what was
wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from apps.core import timecode as tc
from apps.core.errors import ValidationFailed
from apps.interchange.cuts import Marker, NotPlaced, Placement, ReadEdit, label_to_frame

BLACK_REELS = {"BL", "BLK", "BLACK"}
GENERATOR_NAMES = {"black video", "color matte", "colour matte", "bars and tone", "bars"}
GENERATOR_NAMES |= {"slug", "transparent video", "universal counting leader", "solid color"}
AVID_COLOURS = {"red", "green", "blue", "cyan", "magenta", "yellow", "black", "white"}
IGNORED_KEYWORDS = ("SPLIT:", "EFFECTS NAME IS", "AUD ", ">>>", "FINAL CUT PRO", "%")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TRIPLE = rf"\(\s*({_NUMBER})\s*,?\s*({_NUMBER})\s*,?\s*({_NUMBER})\s*\)"
_SOP = re.compile(rf"ASC_SOP\s*:?\s*{_TRIPLE}\s*{_TRIPLE}\s*{_TRIPLE}", re.IGNORECASE)
_SAT = re.compile(rf"ASC_SAT\s*:?\s*({_NUMBER})", re.IGNORECASE)
_EDIT_TYPE = re.compile(r"^(C|D|W\d{0,3}|K[BO]?)$", re.IGNORECASE)
_SPEED_TOLERANCE = 1e-9


@dataclass
class _Line:
    number: int  # line number in the file
    event: str
    reel: str
    track: str
    kind: str  # C, D, Wnnn, K...
    frames: int  # transition duration
    src_in: int
    src_out: int
    rec_in: int
    rec_out: int
    drop: bool
    clip_name: str = ""
    source_file: str = ""
    speed: float | None = None


@dataclass
class _Block:
    event: str
    lines: list[_Line] = field(default_factory=list)
    from_name: str = ""
    to_name: str = ""
    source_files: list[str] = field(default_factory=list)
    cdl: dict[str, object] | None = None
    warnings: list[str] = field(default_factory=list)
    resolve_marker: tuple[int, str] | None = None  # (line number, text)


def read_edl(text: str, rate: Fraction) -> ReadEdit:
    title, blocks, markers, not_placed, warnings = _scan(text, rate)
    placements = _place(blocks, rate, markers, not_placed)
    return ReadEdit(title, placements, not_placed, markers, warnings)


def _scan(
    text: str, rate: Fraction
) -> tuple[str, list[_Block], list[Marker], list[NotPlaced], list[str]]:
    title = ""
    drop = False
    blocks: list[_Block] = []
    markers: list[Marker] = []
    not_placed: list[NotPlaced] = []
    warnings: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n\x1a")
        stripped = line.strip()
        if not stripped:
            continue
        upper = stripped.upper()
        block = blocks[-1] if blocks else None
        if upper.startswith("TITLE:"):
            title = stripped[6:].strip()
        elif upper.startswith("FCM:"):
            mode = upper[4:].strip()
            drop = "DROP" in mode and "NON" not in mode
            if drop and not tc.supports_drop_frame(rate):
                warnings.append(
                    f"line {number}: FCM: DROP FRAME ignored, drop-frame exists only at 29.97"
                    " and 59.94 fps"
                )
        elif stripped.split()[0].isdigit():
            event = _event_line(line, number, rate, drop)
            if block is None or block.event != event.event:
                block = _Block(event.event)
                blocks.append(block)
            block.lines.append(event)
            if len(block.lines) > 2:
                raise ValidationFailed(
                    f"line {number}: event {event.event} has more than two lines"
                    " (an event is one cut or one transition)."
                )
        elif upper.startswith("M2"):
            _speed_line(line, number, rate, drop, block)
        elif "|C:" in stripped or "|M:" in stripped:
            if block is None:
                raise ValidationFailed(f"line {number}: a marker line before any event.")
            block.resolve_marker = (number, stripped)
        elif stripped.startswith("*"):
            _comment(stripped.lstrip("*").strip(), number, rate, drop, block, markers)
        elif upper.startswith(IGNORED_KEYWORDS):
            continue
        else:
            not_placed.append(
                NotPlaced(f"line {number}: {stripped[:60]}", "malformed: not an EDL line", number)
            )
    if not blocks and not markers:
        raise ValidationFailed("This EDL has no events (lines starting with an event number).")
    return title, blocks, markers, not_placed, warnings


def _event_line(line: str, number: int, rate: Fraction, drop: bool) -> _Line:
    tokens = line.split()
    if len(tokens) not in (8, 9):
        raise ValidationFailed(
            f"line {number}: an event is 'number reel track type [duration] source-in"
            f" source-out record-in record-out'; found {len(tokens)} fields."
        )
    event, reel, track, kind = tokens[0], tokens[1], tokens[2], tokens[3].upper()
    if not _EDIT_TYPE.match(kind):
        raise ValidationFailed(
            f"line {number}: event {event}: edit type {tokens[3]!r} is not C, D, W or K."
        )
    frames = 0
    if len(tokens) == 9:
        if not tokens[4].isdigit():
            raise ValidationFailed(
                f"line {number}: event {event}: transition duration {tokens[4]!r} is not a"
                " number of frames."
            )
        frames = int(tokens[4])
    elif kind != "C" and not kind.startswith("K"):
        raise ValidationFailed(
            f"line {number}: event {event}: a {kind} transition needs its duration in frames."
        )
    values = []
    column = 0
    for token in tokens[-4:]:
        column = line.index(token, column if column else len(" ".join(tokens[:4])))
        where = f"line {number}, column {column + 1}"
        values.append(label_to_frame(token, rate, drop_frame=drop, where=where))
        column += len(token)
    src_in, src_out, rec_in, rec_out = values
    if src_out < src_in:
        raise ValidationFailed(f"line {number}: event {event}: source out before source in.")
    if rec_out < rec_in:
        raise ValidationFailed(f"line {number}: event {event}: record out before record in.")
    drop_line = drop or any(";" in t or "," in t for t in tokens[-4:])
    return _Line(
        number=number,
        event=event,
        reel=reel,
        track=track.upper(),
        kind=kind,
        frames=frames,
        src_in=src_in,
        src_out=src_out,
        rec_in=rec_in,
        rec_out=rec_out,
        drop=drop_line and tc.supports_drop_frame(rate),
    )


def _speed_line(line: str, number: int, rate: Fraction, drop: bool, block: _Block | None) -> None:
    tokens = line.split()
    if block is None:
        raise ValidationFailed(f"line {number}: an M2 speed line before any event.")
    if len(tokens) == 3:
        tokens.insert(1, "")
    if len(tokens) != 4:
        raise ValidationFailed(
            f"line {number}: an M2 line is 'M2 reel speed entry-timecode'; found"
            f" {len(tokens)} fields."
        )
    try:
        fps = float(tokens[2])
    except ValueError as error:
        raise ValidationFailed(
            f"line {number}: M2 speed {tokens[2]!r} is not a number of frames per second."
        ) from error
    label_to_frame(tokens[3], rate, drop_frame=drop, where=f"line {number}")
    speed = _speed_ratio(fps, rate)
    targets = [item for item in block.lines if item.reel == tokens[1]] or block.lines[-1:]
    for target in targets:
        target.speed = speed


def _speed_ratio(fps: float, rate: Fraction) -> float:
    """M2 speed is frames per second of the reel against the nominal rate (12 at 23.976 is
    0.5). A tool that wrote the speed against the exact rate (11.988 at 23.976) means the
    same 0.5: the reading that lands on a whole tenth of a percent wins, the nominal first."""
    nominal = fps / tc.nominal_rate(rate)
    exact = fps / float(rate)

    def off(value: float) -> float:
        return abs(value * 1000 - round(value * 1000))

    value = exact if off(exact) + 1e-9 < off(nominal) else nominal
    return round(value, 3) if off(value) < 0.01 else value


def _comment(
    text: str,
    number: int,
    rate: Fraction,
    drop: bool,
    block: _Block | None,
    markers: list[Marker],
) -> None:
    upper = text.upper()
    if upper.startswith("LOC:"):
        parts = text[4:].split(None, 2)
        if not parts:
            raise ValidationFailed(f"line {number}: a LOC comment needs a timecode.")
        frame = label_to_frame(parts[0], rate, drop_frame=drop, where=f"line {number}")
        rest = parts[1:]
        colour = rest[0].lower() if rest and rest[0].lower() in AVID_COLOURS else ""
        note = " ".join(rest[1:] if colour else rest).strip()
        # A locator's one text is both what it is called and what it says.
        markers.append(
            Marker(frame=frame, colour=colour, name=note, note=note, kind="locator", line=number)
        )
        return
    if block is None:
        return
    if upper.startswith("FROM CLIP NAME:"):
        block.from_name = text[15:].strip()
    elif upper.startswith("TO CLIP NAME:"):
        block.to_name = text[13:].strip()
    elif upper.startswith("SOURCE FILE:"):
        block.source_files.append(text[12:].strip())
    elif "ASC_SOP" in upper:
        sop = _SOP.search(text)
        if sop is None:
            block.warnings.append(
                f"line {number}: ASC_SOP ignored, it needs (slope)(offset)(power) triples"
            )
            return
        values = [float(v) for v in sop.groups()]
        block.cdl = {
            **(block.cdl or {"saturation": 1.0}),
            "slope": values[0:3],
            "offset": values[3:6],
            "power": values[6:9],
        }
    elif "ASC_SAT" in upper:
        sat = _SAT.search(text)
        if sat is None:
            block.warnings.append(f"line {number}: ASC_SAT ignored, it needs one number")
            return
        block.cdl = {**(block.cdl or {}), "saturation": float(sat.group(1))}


def _place(
    blocks: list[_Block], rate: Fraction, markers: list[Marker], not_placed: list[NotPlaced]
) -> list[Placement]:
    placements: list[Placement] = []
    seen: dict[str, Placement] = {}
    last_on: dict[str, Placement] = {}  # the last shot placed on each video track
    for block in blocks:
        _name_lines(block)
        if block.resolve_marker is not None:
            markers.append(_resolve_marker(block))
            continue
        incoming = block.lines[-1]
        last_video = last_on.get(_track(incoming))
        transition = None
        if len(block.lines) == 2:
            transition = _transition(incoming)
            outgoing = block.lines[0]
            if transition["type"] == "cut":
                transition = None
            elif outgoing.reel.upper() in BLACK_REELS:
                transition["black"] = True
            elif outgoing.rec_out > outgoing.rec_in:
                last_video = _place_line(outgoing, block, rate, seen, placements, not_placed)
                if last_video is not None:
                    last_on[last_video.track] = last_video
            if transition is not None and last_video is not None and _is_video(incoming):
                if incoming.reel.upper() in BLACK_REELS:
                    last_video.transition_out = {**transition, "black": True}
                elif not transition.get("black"):
                    last_video.transition_out = dict(transition)
        placed = _place_line(incoming, block, rate, seen, placements, not_placed)
        if placed is not None:
            if transition is not None:
                placed.transition_in = dict(transition)
            last_on[placed.track] = placed
    return placements


def _name_lines(block: _Block) -> None:
    first, last = block.lines[0], block.lines[-1]
    if len(block.lines) == 2:
        first.clip_name = block.from_name
        from_black = first.reel.upper() in BLACK_REELS
        generic = block.from_name.lower() in GENERATOR_NAMES | {"black", ""}
        # A fade from black named only by FROM CLIP NAME names the incoming clip.
        last.clip_name = block.to_name or (block.from_name if from_black and not generic else "")
        if block.source_files:
            last.source_file = block.source_files[-1]
            if len(block.source_files) > 1:
                first.source_file = block.source_files[0]
    else:
        first.clip_name = block.from_name or block.to_name
        first.source_file = block.source_files[0] if block.source_files else ""


def _transition(line: _Line) -> dict[str, object]:
    if line.kind == "D":
        return {"type": "dissolve", "frames": line.frames}
    if line.kind.startswith("W"):
        return {"type": "wipe", "frames": line.frames, "wipe": line.kind[1:] or "001"}
    if line.kind.startswith("K"):
        return {"type": "key", "frames": line.frames}
    return {"type": "cut", "frames": 0}


def _track(line: _Line) -> str:
    return line.track if line.track.startswith("V") and line.track != "V" else "V1"


def _is_video(line: _Line) -> bool:
    return "V" in line.track or line.track == "B"


def _describe(line: _Line) -> str:
    name = f" {line.clip_name}" if line.clip_name else ""
    return f"event {line.event} ({line.track}, reel {line.reel}){name}"


def _place_line(
    line: _Line,
    block: _Block,
    rate: Fraction,
    seen: dict[str, Placement],
    placements: list[Placement],
    not_placed: list[NotPlaced],
) -> Placement | None:
    def refuse(reason: str) -> None:
        not_placed.append(NotPlaced(_describe(line), reason, line.number, line.event))

    if not _is_video(line):
        refuse(f"audio-only ({line.track}): audio is not conformed")
        return None
    if line.reel.upper() in BLACK_REELS:
        refuse("black")
        return None
    if line.clip_name.strip().lower() in GENERATOR_NAMES:
        refuse("generator")
        return None
    code = line.clip_name.strip()
    if not code:
        refuse("clip has no name to match a shot (no FROM CLIP NAME comment)")
        return None
    duration = line.rec_out - line.rec_in
    if duration <= 0:
        refuse("zero-length event")
        return None
    if code[:32] in seen:
        refuse(f"repeated: {code} is already placed at line {seen[code[:32]].line}")
        return None
    speed = 1.0 if line.speed is None else line.speed
    placement = Placement(
        code=code[:32],
        record_in=line.rec_in,
        record_out=line.rec_out - 1,
        reel=line.reel,
        source_in=line.src_in,
        source_out=max(line.src_out - 1, line.src_in),
        speed=speed,
        track=_track(line),
        clip_name=code,
        source_file=line.source_file,
        source_drop_frame=line.drop,
        cdl=_complete_cdl(block.cdl),
        line=line.number,
        event=line.event,
        warnings=list(block.warnings),
    )
    if len(code) > 32:
        placement.warnings.append(f"name shortened to 32 characters from {code!r}")
    if line.speed is not None:
        if abs(speed) < _SPEED_TOLERANCE:
            placement.freeze = True
            placement.speed = 0.0
            placement.source_out = line.src_in
            placement.warnings.append("freeze frame: one source frame held for the whole cut")
        elif abs(speed - 1.0) > _SPEED_TOLERANCE:
            source_frames = round(duration * abs(speed))
            if speed > 0:
                placement.source_out = line.src_in + source_frames - 1
            placement.warnings.append(
                f"speed change {speed * 100:g}%: the cut holds {duration} frames, the source"
                f" range {source_frames}"
            )
    seen[placement.code] = placement
    placements.append(placement)
    return placement


def _complete_cdl(cdl: dict[str, object] | None) -> dict[str, object] | None:
    if cdl is None:
        return None
    return {
        "slope": cdl.get("slope", [1.0, 1.0, 1.0]),
        "offset": cdl.get("offset", [0.0, 0.0, 0.0]),
        "power": cdl.get("power", [1.0, 1.0, 1.0]),
        "saturation": cdl.get("saturation", 1.0),
    }


def _resolve_marker(block: _Block) -> Marker:
    assert block.resolve_marker is not None
    number, text = block.resolve_marker
    line = block.lines[-1]
    note, _, rest = text.partition("|C:") if "|C:" in text else ("", "", text)
    fields: dict[str, str] = {}
    for part in ("|C:" + rest if "|C:" in text else rest).split("|"):
        key, sep, value = part.partition(":")
        if sep and key.strip() in {"C", "M", "D"}:
            fields[key.strip()] = value.strip()
    colour = fields.get("C", "")
    if colour.lower().startswith("resolvecolor"):
        colour = colour[len("ResolveColor") :]
    duration_text = fields.get("D", "")
    if duration_text and not duration_text.isdigit():
        raise ValidationFailed(
            f"line {number}: marker duration |D:{duration_text} is not a number of frames."
        )
    duration = int(duration_text) if duration_text else max(line.rec_out - line.rec_in, 1)
    return Marker(
        frame=line.rec_in,
        duration=max(duration, 1),
        colour=colour.lower(),
        name=fields.get("M", ""),
        note=note.strip(),
        kind="resolve",
        line=line.number,
    )
