"""Display names of uploaded files: what every page, API answer, export and log shows.

A client's file name is never a path and never trusted as text: it is normalised (NFC),
cut to its last path component (POSIX or Windows, drive letters too), stripped of control,
bidi-override and other invisible formatting characters, and length-limited with its
extension kept. A name with nothing left is refused. The raw name is kept only in the
audit record of the upload.
"""

from __future__ import annotations

import re
import unicodedata

MAX_NAME_LENGTH = 180
_SEPARATORS = re.compile(r"[/\\]")
_DRIVE = re.compile(r"^[A-Za-z]:")
_SPACES = re.compile(r"\s+")


class UnusableName(ValueError):
    pass


def _visible(char: str) -> bool:
    category = unicodedata.category(char)
    # Cc: control (CR, LF, BEL...), Cf: format (bidi overrides, zero-width...),
    # Cs/Co/Cn: surrogates, private use, unassigned; Zl/Zp: line and paragraph separators.
    return category not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def display_name(raw: str) -> str:
    """The clean name to show and store for a client-supplied file name."""
    text = unicodedata.normalize("NFC", raw or "")
    # Line breaks and tabs become spaces; every other invisible character goes.
    text = "".join(" " if c.isspace() else c for c in text if c.isspace() or _visible(c))
    text = _SEPARATORS.split(text)[-1]
    text = _DRIVE.sub("", text)
    text = _SPACES.sub(" ", text).strip().lstrip(".").strip()
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            text = stem[: MAX_NAME_LENGTH - len(ext) - 1].rstrip() + "." + ext
        else:
            text = text[:MAX_NAME_LENGTH].rstrip()
    stem = text.rpartition(".")[0] if "." in text else text
    if not stem.strip(" ._-"):
        raise UnusableName(raw)
    return text
