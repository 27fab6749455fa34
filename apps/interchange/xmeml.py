"""A Final Cut Pro 7 XML (xmeml) reader of our own: file reels, `displayformat` per file (an
NDF source in a 29.97 sequence keeps NDF labels), transitions stored on both shots,
Time Remap speed, sequence and clip markers, audio clip items named one by one, nested
sequences and generators reported. Parsed with defusedxml (no entities, no DTDs); errors
name the line of the element that was wrong."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction
from typing import Any
from urllib.parse import unquote

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from apps.core import timecode as tc
from apps.core.errors import ValidationFailed
from apps.interchange.cuts import Marker, NotPlaced, Placement, ReadEdit, label_to_frame

MAX_DEPTH = 64


class _Builder(ET.TreeBuilder):
    """Remembers the line of every element and refuses absurd nesting."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[ET.Element, int] = {}
        self.parser: DefusedXMLParser | None = None
        self.depth = 0

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        element = super().start(tag, attrs)
        self.depth += 1
        line = self.parser.parser.CurrentLineNumber if self.parser is not None else 0
        if self.depth > MAX_DEPTH:
            raise ValidationFailed(f"line {line}: elements nested deeper than {MAX_DEPTH}.")
        self.lines[element] = line
        return element

    def end(self, tag: str) -> ET.Element:
        self.depth -= 1
        return super().end(tag)


class _Reader:
    def __init__(self, root: ET.Element, lines: dict[ET.Element, int], rate: Fraction) -> None:
        self.lines = lines
        self.rate = rate
        self.files: dict[str, ET.Element] = {}
        for node in root.iter("file"):
            if node.get("id") and len(node):
                self.files.setdefault(node.get("id", ""), node)

    def where(self, node: ET.Element) -> str:
        return f"line {self.lines.get(node, 0)}"

    def int_of(self, node: ET.Element, path: str, default: int | None = None) -> int:
        child = node.find(path)
        if child is None or not (child.text or "").strip():
            if default is not None:
                return default
            raise ValidationFailed(f"{self.where(node)}: <{node.tag}> has no <{path}>.")
        try:
            return int((child.text or "").strip())
        except ValueError as error:
            raise ValidationFailed(
                f"{self.where(child)}: <{path}> {child.text!r} is not a whole number of frames."
            ) from error

    def rate_of(self, node: ET.Element) -> Fraction | None:
        rate = node.find("rate")
        if rate is None:
            return None
        timebase = self.int_of(rate, "timebase")
        ntsc = (rate.findtext("ntsc") or "").strip().upper() == "TRUE"
        return Fraction(timebase * 1000, 1001) if ntsc else Fraction(timebase)

    def timecode_frame(self, node: ET.Element | None, rate: Fraction) -> tuple[int, bool]:
        """(absolute frame, drop-frame) of a <timecode> element."""
        if node is None:
            return 0, tc.supports_drop_frame(rate)
        drop = (node.findtext("displayformat") or "").strip().upper() == "DF"
        drop = drop and tc.supports_drop_frame(rate)
        if (node.findtext("frame") or "").strip():
            return self.int_of(node, "frame"), drop
        label = (node.findtext("string") or "").strip()
        if not label:
            return 0, drop
        return label_to_frame(label, rate, drop_frame=drop, where=self.where(node)), drop


def _parse(data: bytes) -> tuple[ET.Element, dict[ET.Element, int]]:
    builder = _Builder()
    parser = DefusedXMLParser(target=builder)
    builder.parser = parser
    try:
        parser.feed(data)
        root = parser.close()
    except ET.ParseError as error:
        line, column = error.position
        message = str(error).split(":")[0]
        raise ValidationFailed(
            f"line {line}, column {column + 1}: the XML could not be read, it is not"
            f" well-formed ({message})."
        ) from error
    except DefusedXmlException as error:
        raise ValidationFailed(
            "XML entities and document types are not accepted in edit files."
        ) from error
    return root, builder.lines


def read_xmeml(data: bytes, rate: Fraction) -> ReadEdit:
    root, lines = _parse(data)
    if root.tag != "xmeml":
        raise ValidationFailed(f"line 1: the root element is <{root.tag}>, not <xmeml>.")
    reader = _Reader(root, lines, rate)
    sequences = root.findall("sequence") + root.findall(".//children/sequence")
    if not sequences:
        raise ValidationFailed("The FCP7 XML holds no <sequence>.")
    sequence = sequences[0]
    seq_rate = reader.rate_of(sequence) or rate
    warnings = []
    if seq_rate != rate:
        warnings.append(
            f"the sequence runs at {float(seq_rate):.3f} fps, the project at {float(rate):.3f}:"
            " frames were rescaled"
        )

    def scale(frames: int) -> int:
        return frames if seq_rate == rate else round(Fraction(frames) * rate / seq_rate)

    start, _ = reader.timecode_frame(sequence.find("timecode"), seq_rate)
    start = scale(start)
    placements: list[Placement] = []
    not_placed: list[NotPlaced] = []
    markers = [
        _marker(reader, node, start + scale(reader.int_of(node, "in")), "sequence", scale)
        for node in sequence.findall("marker")
    ]
    seen: dict[str, Placement] = {}
    heads: dict[ET.Element, dict[str, Any]] = {}
    video = sequence.findall("./media/video/track")
    for number, track in enumerate(video, start=1):
        items = list(track)
        previous: Placement | None = None
        for index, item in enumerate(items):
            if item.tag == "transitionitem":
                transition = _transition(reader, item)
                black = transition.get("black")
                if previous is not None and black != "in":
                    previous.transition_out = {
                        k: v for k, v in transition.items() if k != "black" and k[0] != "_"
                    }
                    if black == "out":
                        previous.transition_out["black"] = True
                follower = _next_clip(items, index)
                if follower is not None and black != "out":
                    heads[follower] = transition
                continue
            if item.tag not in ("clipitem", "generatoritem"):
                continue
            placed = _clip(
                reader, item, items, index, number, start, scale, seen, not_placed, heads.get(item)
            )
            if placed is None:
                continue
            placements.append(placed)
            previous = placed
            for node in item.findall("marker"):
                offset = reader.int_of(node, "in") - reader.int_of(item, "in", 0)
                markers.append(
                    _marker(reader, node, placed.record_in + scale(offset), "clip", scale)
                )
    for track in sequence.findall("./media/audio/track"):
        for item in track.findall("clipitem"):
            not_placed.append(
                NotPlaced(
                    f"audio clip {(item.findtext('name') or '').strip() or item.get('id', '')}",
                    "audio-only: audio is not conformed",
                    lines.get(item),
                    item.get("id", ""),
                )
            )
    name = (sequence.findtext("name") or "").strip()
    return ReadEdit(name, placements, not_placed, markers, warnings)


def _next_clip(items: list[ET.Element], index: int) -> ET.Element | None:
    for item in items[index + 1 :]:
        if item.tag in ("clipitem", "generatoritem"):
            return item
        if item.tag == "transitionitem":
            return None
    return None


def _transition(reader: _Reader, item: ET.Element) -> dict[str, Any]:
    begin, end = reader.int_of(item, "start"), reader.int_of(item, "end")
    alignment = (item.findtext("alignment") or "center").strip().lower()
    category = (item.findtext("./effect/effectcategory") or "").lower()
    name = (item.findtext("./effect/name") or "").strip()
    kind = "wipe" if "wipe" in category or "wipe" in name.lower() else "dissolve"
    result: dict[str, Any] = {"type": kind, "frames": end - begin, "name": name}
    if alignment == "start-black":
        result["black"] = "in"
    elif alignment == "end-black":
        result["black"] = "out"
    if alignment in ("end", "end-black"):
        cut = end
    elif alignment in ("start", "start-black"):
        cut = begin
    else:
        cut = (begin + end) // 2
    result["_start"], result["_cut"] = begin, cut
    return result


def _clip(
    reader: _Reader,
    item: ET.Element,
    items: list[ET.Element],
    index: int,
    track: int,
    start: int,
    scale: Any,
    seen: dict[str, Placement],
    not_placed: list[NotPlaced],
    transition_in: dict[str, Any] | None,
) -> Placement | None:
    name = (item.findtext("name") or "").strip()
    line = reader.lines.get(item)

    def refuse(reason: str) -> None:
        what = f"clip {name or item.get('id', '')} on V{track}"
        not_placed.append(NotPlaced(what, reason, line, item.get("id", "")))

    if (item.findtext("enabled") or "TRUE").strip().upper() == "FALSE":
        refuse("disabled in the sequence")
        return None
    if item.tag == "generatoritem" or item.find("./effect[effecttype='generator']") is not None:
        refuse("generator")
        return None
    if item.find("sequence") is not None:
        refuse("nested sequence: its clips are not placed")
        return None
    if not name:
        refuse("clip has no name to match a shot")
        return None
    record_in = reader.int_of(item, "start")
    record_end = reader.int_of(item, "end")
    source_in = reader.int_of(item, "in", 0)
    if record_in == -1:
        if transition_in is None:
            raise ValidationFailed(f"{reader.where(item)}: <start> is -1 without a transition.")
        record_in = transition_in["_cut"]
        source_in += transition_in["_cut"] - transition_in["_start"]
    if record_end == -1:
        tail = next((n for n in items[index + 1 :] if n.tag == "transitionitem"), None)
        if tail is None:
            raise ValidationFailed(f"{reader.where(item)}: <end> is -1 without a transition.")
        record_end = _transition(reader, tail)["_cut"]
    duration = record_end - record_in
    if duration <= 0:
        refuse("zero-length clip")
        return None
    if name[:32] in seen:
        refuse(f"repeated: {name} is already placed at line {seen[name[:32]].line}")
        return None
    file = item.find("file")
    if file is not None and not len(file):
        file = reader.files.get(file.get("id", ""), file)
    reel, source_file, source_start, source_drop = "", "", 0, tc.supports_drop_frame(reader.rate)
    if file is not None:
        file_rate = reader.rate_of(file) or reader.rate
        source_start, source_drop = reader.timecode_frame(file.find("timecode"), file_rate)
        reel = (file.findtext("./timecode/reel/name") or "").strip()
        source_file = unquote((file.findtext("pathurl") or file.findtext("name") or "").strip())
    placement = Placement(
        code=name[:32],
        record_in=start + scale(record_in),
        record_out=start + scale(record_end) - 1,
        reel=reel,
        source_in=source_start + scale(source_in),
        source_out=source_start + scale(source_in + duration) - 1,
        track=f"V{track}",
        clip_name=name,
        source_file=source_file,
        source_drop_frame=source_drop,
        line=line,
        event=item.get("id", ""),
    )
    if transition_in is not None:
        placement.transition_in = {
            k: (True if k == "black" else v)
            for k, v in transition_in.items()
            if not k.startswith("_") and (k != "black" or v == "in")
        }
    if len(name) > 32:
        placement.warnings.append(f"name shortened to 32 characters from {name!r}")
    _speed(item, placement, duration)
    seen[placement.code] = placement
    return placement


def _speed(item: ET.Element, placement: Placement, duration: int) -> None:
    for effect in item.findall("./filter/effect"):
        if (effect.findtext("effectid") or "").strip().lower() != "timeremap":
            continue
        values = {
            (p.findtext("parameterid") or "").strip().lower(): (p.findtext("value") or "").strip()
            for p in effect.findall("parameter")
        }
        try:
            speed = float(values.get("speed", "100")) / 100
        except ValueError:
            continue
        if values.get("reverse", "").upper() == "TRUE":
            speed = -speed
        placement.speed = speed
        assert placement.source_in is not None
        if speed == 0:
            placement.freeze = True
            placement.source_out = placement.source_in
            placement.warnings.append("freeze frame: one source frame held for the whole cut")
        elif speed != 1:
            frames = round(duration * abs(speed))
            placement.source_out = placement.source_in + frames - 1
            placement.warnings.append(
                f"speed change {speed * 100:g}%: the cut holds {duration} frames, the source"
                f" range {frames}"
            )


def _marker(reader: _Reader, node: ET.Element, frame: int, kind: str, scale: Any) -> Marker:
    begin, end = reader.int_of(node, "in"), reader.int_of(node, "out", -1)
    colour = ""
    colour_node = node.find("color")
    if colour_node is not None and colour_node.find("red") is not None:
        rgb = [reader.int_of(colour_node, c, 0) for c in ("red", "green", "blue")]
        colour = "#" + "".join(f"{max(0, min(v, 255)):02x}" for v in rgb)
    return Marker(
        frame=frame,
        duration=max(scale(end - begin), 1) if end > begin else 1,
        colour=colour,
        name=(node.findtext("name") or "").strip(),
        note=(node.findtext("comment") or "").strip(),
        kind=kind,
        line=reader.lines.get(node),
    )
