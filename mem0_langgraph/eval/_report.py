"""How every benchmark command ends: print the markdown table, write the JSON if asked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def report(markdown: str, result: dict[str, Any], out: str | Path | None) -> int:
    """Print ``markdown``; write ``result`` as JSON to ``out`` when given. Returns 0 (the exit code)."""
    print(markdown)
    if out is not None:
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {path}")
    return 0
