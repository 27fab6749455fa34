"""Runs every registered benchmark and writes bench/results/latest.json.

Each benchmark returns rows {"name", "value", "unit", "better", "baseline", "settings"};
ratios compare against a baseline measured in the same run.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def discover() -> list[Any]:
    modules = []
    package = Path(__file__).resolve().parent
    for info in pkgutil.iter_modules([str(package)]):
        if info.name.startswith("bench_"):
            modules.append(importlib.import_module(f"bench.{info.name}"))
    return modules


def main(argv: list[str]) -> int:
    import django

    django.setup()
    selected = set(argv)
    rows: list[dict[str, Any]] = []
    for module in discover():
        short = module.__name__.removeprefix("bench.bench_")
        if selected and short not in selected:
            continue
        started = time.perf_counter()
        print(f"==> {short}", flush=True)
        for row in module.run():
            rows.append(row)
            print(f"    {row['name']}: {row['value']:.4g} {row['unit']}", flush=True)
        print(f"    ({time.perf_counter() - started:.1f} s)", flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2))
    print(f"wrote {len(rows)} rows to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
