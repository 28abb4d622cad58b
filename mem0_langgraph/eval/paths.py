"""Where the evaluation data is: the folder, the file names, and how a missing file is reported.

The data is public, read by path and never shipped. Every benchmark, loader and
the gate's training script resolve it here, so there is one name per file and
one rule for the folder: the ``--data-dir`` argument, else ``$MEM0_LANGGRAPH_DATA``,
else ``../shared/data`` (beside a checkout of this repository). The folder's own
``README.md`` says where each file comes from.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

DATA_ENV = "MEM0_LANGGRAPH_DATA"
"""Environment variable naming the evaluation data folder."""
DEFAULT_DATA_DIR = Path("../shared/data")
"""Where the data sits beside a checkout of this repository (relative to the working directory)."""
LOCOMO_FILE = "locomo10.json"
"""LoCoMo: ten long conversations with QA items (`load_locomo`)."""
LONGMEMEVAL_FILE = "longmemeval_s_dev.json.gz"
"""LongMemEval-S, development half (`load_longmemeval`)."""


def data_dir(arg: str | Path | None = None) -> Path:
    """The data folder: the argument, else ``$MEM0_LANGGRAPH_DATA``, else ``../shared/data``.

    Example:
        >>> data_dir("/data/eval")
        PosixPath('/data/eval')
    """
    if arg is not None:
        return Path(arg)
    env = os.environ.get(DATA_ENV)
    return Path(env) if env else DEFAULT_DATA_DIR


def data_file(name: str, folder: str | Path | None = None) -> Path:
    """The path of data file ``name`` (e.g. `LOCOMO_FILE`) in `data_dir` ``(folder)``.

    Example:
        >>> data_file(LOCOMO_FILE, "/data/eval")
        PosixPath('/data/eval/locomo10.json')
    """
    return data_dir(folder) / name


def missing_file_error(path: str | Path) -> FileNotFoundError:
    """The error for a data file that is not there, saying where to look for it."""
    return FileNotFoundError(f"{path}: no such data file (the data folder's README.md says where to get it)")


def missing_file_message(path: str | Path) -> str:
    """What a command prints (after ``error:``) when its data file is not there."""
    return f"{path} not found; pass --data-dir or set {DATA_ENV} (the data folder's README.md says where to get it)"


def existing_data_file(name: str, folder: str | Path | None = None) -> Path | None:
    """`data_file` when it exists; else print the one-line error every command gives and return None
    (the command then exits with 2)."""
    path = data_file(name, folder)
    if path.is_file():
        return path
    import sys

    print(f"error: {missing_file_message(path)}", file=sys.stderr)
    return None


def add_data_dir_argument(parser: Any, *file_names: str) -> None:
    """Add the ``--data-dir`` option every benchmark command shares to an argparse ``parser``."""
    parser.add_argument("--data-dir", type=Path, default=None,
                        help=f"folder holding {' / '.join(file_names)} (default: ${DATA_ENV}, else {DEFAULT_DATA_DIR})")


def read_json(path: str | Path) -> Any:
    """Parse a ``.json`` or ``.json.gz`` data file.

    Raises:
        FileNotFoundError: ``path`` does not exist (`missing_file_error`).
    """
    path = Path(path)
    if not path.is_file():
        raise missing_file_error(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f)
