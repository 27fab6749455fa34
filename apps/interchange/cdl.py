"""ASC CDL files: read .cdl / .cc / .ccc, write a .ccc collection (ASC CDL v1.2 XML)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from defusedxml import ElementTree as SafeET

from apps.core.errors import ValidationFailed

NAMESPACE = "urn:ASC:CDL:v1.01"


@dataclass(frozen=True)
class Cdl:
    id: str
    slope: tuple[float, float, float]
    offset: tuple[float, float, float]
    power: tuple[float, float, float]
    saturation: float
    description: str = ""

    def as_metadata(self) -> dict[str, object]:
        """The shape OpenTimelineIO's EDL adapter writes as ASC_SOP / ASC_SAT comments."""
        return {
            "asc_sop": {
                "slope": list(self.slope),
                "offset": list(self.offset),
                "power": list(self.power),
            },
            "asc_sat": self.saturation,
        }


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _triple(node: ET.Element, name: str, default: float) -> tuple[float, float, float]:
    for child in node:
        if _local(child.tag) == name and child.text:
            values = [float(v) for v in child.text.split()]
            if len(values) != 3:
                raise ValidationFailed(f"{name} needs three numbers, got {child.text!r}.")
            return values[0], values[1], values[2]
    return default, default, default


def parse_cdl(data: bytes) -> list[Cdl]:
    try:
        root = SafeET.fromstring(data)
    except Exception as error:  # defusedxml and expat raise several types
        raise ValidationFailed(f"Not a CDL file: {error}") from error
    corrections = (
        [root]
        if _local(root.tag) == "ColorCorrection"
        else [node for node in root.iter() if _local(node.tag) == "ColorCorrection"]
    )
    result = []
    for index, correction in enumerate(corrections):
        sop = next((n for n in correction.iter() if _local(n.tag) == "SOPNode"), None)
        sat = next((n for n in correction.iter() if _local(n.tag) == "SatNode"), None)
        saturation = 1.0
        if sat is not None:
            value = next((n.text for n in sat if _local(n.tag) == "Saturation"), None)
            saturation = float(value) if value else 1.0
        description = next(
            (n.text or "" for n in correction.iter() if _local(n.tag) == "Description"), ""
        )
        result.append(
            Cdl(
                id=correction.get("id") or f"cc{index + 1}",
                slope=_triple(sop, "Slope", 1.0) if sop is not None else (1.0, 1.0, 1.0),
                offset=_triple(sop, "Offset", 0.0) if sop is not None else (0.0, 0.0, 0.0),
                power=_triple(sop, "Power", 1.0) if sop is not None else (1.0, 1.0, 1.0),
                saturation=saturation,
                description=description,
            )
        )
    if not result:
        raise ValidationFailed("The file holds no ColorCorrection.")
    return result


def _numbers(values: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.6f}" for value in values)


def write_ccc(cdls: list[Cdl]) -> str:
    ET.register_namespace("", NAMESPACE)
    root = ET.Element(f"{{{NAMESPACE}}}ColorCorrectionCollection")
    for cdl in cdls:
        correction = ET.SubElement(root, f"{{{NAMESPACE}}}ColorCorrection", id=cdl.id)
        if cdl.description:
            ET.SubElement(correction, f"{{{NAMESPACE}}}Description").text = cdl.description
        sop = ET.SubElement(correction, f"{{{NAMESPACE}}}SOPNode")
        ET.SubElement(sop, f"{{{NAMESPACE}}}Slope").text = _numbers(cdl.slope)
        ET.SubElement(sop, f"{{{NAMESPACE}}}Offset").text = _numbers(cdl.offset)
        ET.SubElement(sop, f"{{{NAMESPACE}}}Power").text = _numbers(cdl.power)
        sat = ET.SubElement(correction, f"{{{NAMESPACE}}}SatNode")
        ET.SubElement(sat, f"{{{NAMESPACE}}}Saturation").text = f"{cdl.saturation:.6f}"
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
