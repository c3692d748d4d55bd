"""Sentence embeddings through sentence-transformers, offline by default.

The default model is built locally from the chiVe word vectors that ship inside the ``ja-ginza``
wheel (Apache-2.0, 300-d, keys are Sudachi normalized forms): a plain sentence-transformers
directory holding one ``StaticEmbedding`` module — a ``tokenizers`` WordLevel vocabulary over the
chiVe words and an embedding bag whose rows are the chiVe vectors.

A Hugging Face tokenizer cannot run Sudachi, so texts for that model are cut with Sudachi first and
the normalized forms joined by spaces (``gikai.json`` in the model dir says so). Word weights are
baked into the rows: each vector is scaled by its SIF weight ``a / (a + p(w))`` with ``p`` from
the word's frequency rank (Zipf), and the first principal component is projected out, so the mean
the embedding bag takes is a SIF sentence embedding (Arora et al., 2017).

The wheel keeps 20,000 distinct vectors for 480,443 words: rarer words were pruned onto the vector
of their nearest kept word (オスプレイ → 普天間). A pruned word shares that direction but gets its own
(higher) weight from a second block of rows; ``tokenizer.json`` maps several words to one id.

    python -m nlp.embedding build [--out models/chive-static] [--wheel ja_ginza-5.3.0-*.whl]

The default model (``models/chive-gikai``) is that one with its rows trained on labelled assembly
statements (``nlp.finetune``, run by ``make setup`` after ``build``).

Any Hugging Face model id or local sentence-transformers dir also works through ``Embedder.load``
(``cl-nagoya/ruri-v3-30m``, ``intfloat/multilingual-e5-small``); those get raw text.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
# The plain chiVe model (`build`), and the default: its rows trained on labelled statements (nlp.finetune).
BASE_MODEL_DIR = REPO_ROOT / "models" / "chive-static"
DEFAULT_MODEL_DIR = REPO_ROOT / "models" / "chive-gikai"
MODEL_ENV = "GIKAI_EMBEDDING_MODEL"
GINZA_REQUIREMENT = "ja-ginza==5.3.0"
GINZA_WHEEL = "ja_ginza-5.3.0-py3-none-any.whl"
_VOCAB_DIR = "ja_ginza/ja_ginza-5.3.0/vocab/"
GIKAI_CONFIG = "gikai.json"
UNK, PAD = "[UNK]", "[PAD]"
BUILD_COMMAND = "python -m nlp.embedding build"
TUNE_COMMAND = "python -m nlp.finetune"

# SIF smoothing: a word seen with probability p weighs a / (a + p). Arora et al. use 1e-3 on raw
# text; our tokens are already content words, so a stronger 5e-5 wins on the statement dev pairs.
SIF_A = 5e-5
# Bump when the build changes, so `build` replaces models made by an older recipe.
BUILD_VERSION = 1


class EmbeddingModelMissing(FileNotFoundError):
    """The default model has not been built yet."""


# --- reading chiVe out of the ja-ginza wheel ---------------------------------------------------


@lru_cache(maxsize=1)
def _hash64():
    """spaCy's string hash: MurmurHash64A with seed 1 (``spacy.strings.hash_string``), taken from
    the ``murmurhash`` package's C API since its Python API only exposes the 32-bit hash."""
    import murmurhash.mrmr

    capsule = murmurhash.mrmr.__pyx_capi__["hash64"]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype = ctypes.c_void_p
    get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    pointer = get_pointer(capsule, b"uint64_t (void *, int, uint64_t)")
    return ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint64)(pointer)


def spacy_hash(text: str) -> int:
    data = text.encode("utf-8")
    return _hash64()(data, len(data), 1)


def _msgpack_uint_map(buf: bytes) -> list[tuple[int, int]]:
    """Decode a msgpack map of unsigned ints (spaCy's ``key2row``), keeping its order."""
    pos = 0

    def uint() -> int:
        nonlocal pos
        tag = buf[pos]
        if tag <= 0x7F:
            pos += 1
            return tag
        size = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}.get(tag)
        if size is None:
            raise ValueError(f"key2row: unexpected msgpack tag 0x{tag:02x} at byte {pos}")
        value = int.from_bytes(buf[pos + 1 : pos + 1 + size], "big")
        pos += 1 + size
        return value

    tag = buf[0]
    if 0x80 <= tag <= 0x8F:
        n, pos = tag & 0x0F, 1
    elif tag == 0xDE:
        n, pos = struct.unpack_from(">H", buf, 1)[0], 3
    elif tag == 0xDF:
        n, pos = struct.unpack_from(">I", buf, 1)[0], 5
    else:
        raise ValueError(f"key2row: not a msgpack map (tag 0x{tag:02x})")
    return [(uint(), uint()) for _ in range(n)]


@dataclass(frozen=True)
class ChiveVectors:
    """chiVe as shipped by ja-ginza: ``words`` in frequency order, ``ranks[i]`` the 0-based
    frequency rank of ``words[i]`` and ``rows[i]`` its row of ``vectors``. The words ranked below
    ``len(vectors)`` own their rows; the rest were pruned onto the row of their nearest kept word."""

    words: list[str]
    ranks: np.ndarray
    rows: np.ndarray
    vectors: np.ndarray


def read_chive(wheel: Path) -> ChiveVectors:
    with zipfile.ZipFile(wheel) as zf:
        vectors = np.load(io.BytesIO(zf.read(_VOCAB_DIR + "vectors")), allow_pickle=False)
        key2row = _msgpack_uint_map(zf.read(_VOCAB_DIR + "key2row"))
        strings = json.loads(zf.read(_VOCAB_DIR + "strings.json"))
    by_hash = {spacy_hash(s): s for s in strings}
    # key2row keeps spaCy's insertion order, which is chiVe's frequency order.
    # A handful of keys have no string; they keep their rank so the others' ranks stay true.
    found = [(by_hash[key], rank, row) for rank, (key, row) in enumerate(key2row) if key in by_hash]
    return ChiveVectors(
        words=[w for w, _, _ in found],
        ranks=np.fromiter((k for _, k, _ in found), dtype=np.int64, count=len(found)),
        rows=np.fromiter((r for _, _, r in found), dtype=np.int64, count=len(found)),
        vectors=np.ascontiguousarray(vectors, dtype=np.float32),
    )


def find_or_download_wheel(dest: Path | None = None) -> Path:
    """The ja-ginza wheel from ``dest``, pip's cache or PyPI (``pip download --no-deps``)."""
    dest = dest or REPO_ROOT / "models" / "downloads"
    wheel = dest / GINZA_WHEEL
    if wheel.exists():
        return wheel
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--quiet",
        GINZA_REQUIREMENT,
        "-d",
        str(dest),
    ]
    subprocess.run(cmd, check=True)
    if not wheel.exists():
        raise FileNotFoundError(f"{' '.join(cmd)} did not produce {wheel}")
    return wheel


# --- building the static model -----------------------------------------------------------------


def sif_weights(n_words: int, a: float = SIF_A) -> np.ndarray:
    """SIF weight of the word at each frequency rank, with p(rank) from Zipf's law."""
    ranks = np.arange(1, n_words + 1, dtype=np.float64)
    p = 1.0 / (ranks * np.log(n_words))  # Σ 1/r ≈ ln n
    return (a / (a + p)).astype(np.float32)


def first_component(matrix: np.ndarray, sample_weights: np.ndarray) -> np.ndarray:
    """Unit first principal direction (uncentered, as in SIF) of the rows, each counted by weight."""
    scaled = matrix * np.sqrt(sample_weights)[:, None]
    _, _, vt = np.linalg.svd(scaled.astype(np.float64), full_matrices=False)
    return vt[0].astype(np.float32)


def static_weights(
    chive: ChiveVectors, a: float = SIF_A, remove_pc: bool = True
) -> tuple[dict[str, int], np.ndarray]:
    """Vocabulary word → row and the matrix: kept words (rows 0..k-1, own SIF weight), pruned words
    (rows k..2k-1: their target's vector at the weight of the rarest kept word), [UNK] and [PAD] (0).
    Raw vectors beat unit-normalized ones on the dev pairs (their norm carries some salience)."""
    n_rows, dim = chive.vectors.shape
    weights = sif_weights(int(chive.ranks[-1]) + 1, a)
    kept = chive.vectors * weights[:n_rows, None]
    pruned = chive.vectors * weights[n_rows - 1]
    matrix = np.concatenate([kept, pruned, np.zeros((2, dim), np.float32)])
    if remove_pc:
        # The direction common to running text: rows weighted by how often their words occur.
        freq = 1.0 / np.arange(1, n_rows + 1, dtype=np.float64)
        u = first_component(kept, freq)
        matrix -= np.outer(matrix @ u, u)
    vocab: dict[str, int] = {}
    for word, rank, row in zip(chive.words, chive.ranks.tolist(), chive.rows.tolist(), strict=True):
        if word.strip() and not any(c.isspace() for c in word) and word not in vocab:
            vocab[word] = row if rank < n_rows and row == rank else n_rows + row
    vocab[UNK], vocab[PAD] = 2 * n_rows, 2 * n_rows + 1
    return vocab, matrix.astype(np.float32)


def _tokenizer_json(vocab: dict[str, int]) -> str:
    """A WordLevel + WhitespaceSplit tokenizer. Written as JSON because ``Tokenizer.save`` keeps one
    word per id and would drop the pruned words that share their target's row."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    tokenizer = Tokenizer(models.WordLevel({UNK: 0}, unk_token=UNK))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    spec = json.loads(tokenizer.to_str())
    spec["model"]["vocab"] = vocab
    return json.dumps(spec, ensure_ascii=False)


def is_built(model_dir: Path) -> bool:
    try:
        config = json.loads((model_dir / GIKAI_CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return config.get("build_version") == BUILD_VERSION and (model_dir / "model.safetensors").exists()


def build_default_model(
    out_dir: Path, wheel: Path | None = None, *, a: float = SIF_A, remove_pc: bool = True, force: bool = False
) -> Path:
    """Build the chiVe StaticEmbedding model into ``out_dir``; no-op when it is already built.
    Needs no network when ``wheel`` is given."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer

    out_dir = Path(out_dir)
    if is_built(out_dir) and not force:
        return out_dir
    wheel = Path(wheel) if wheel else find_or_download_wheel()
    vocab, matrix = static_weights(read_chive(wheel), a, remove_pc)
    spec = _tokenizer_json(vocab)
    module = StaticEmbedding(
        Tokenizer.from_str(spec), embedding_weights=matrix, base_model="chiVe (ja-ginza 5.3.0)"
    )
    model = SentenceTransformer(modules=[module], device="cpu")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=out_dir.name + ".", dir=out_dir.parent))
    try:
        model.save(str(staging))
        for path in staging.rglob("tokenizer.json"):
            path.write_text(spec, encoding="utf-8")
        config = {
            "pretokenize": "sudachi",
            "source": f"chiVe vectors from {GINZA_WHEEL} (Apache-2.0)",
            "weighting": {"sif_a": a, "zipf_from_rank": True, "remove_first_pc": remove_pc},
            "build_version": BUILD_VERSION,
        }
        (staging / GIKAI_CONFIG).write_text(
            json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        if out_dir.exists():
            shutil.rmtree(out_dir)
        staging.chmod(0o755)
        staging.rename(out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir


# --- encoding ----------------------------------------------------------------------------------

# Prefixes that known retrieval models were trained with (query, passage).
_KNOWN_PREFIXES = {"e5": ("query: ", "passage: "), "ruri-v3": ("検索クエリ: ", "検索文書: ")}


def _default_prefixes(name: str) -> tuple[str, str]:
    lowered = name.lower()
    for marker, prefixes in _KNOWN_PREFIXES.items():
        if marker in lowered:
            return prefixes
    return "", ""


def default_model_path() -> Path:
    return Path(os.environ.get(MODEL_ENV) or DEFAULT_MODEL_DIR)


def _is_hub_id(value: str) -> bool:
    """``owner/name`` that is not a local path: ``$GIKAI_EMBEDDING_MODEL`` may name a Hub model."""
    return value.count("/") == 1 and not value.startswith((".", "/", "~")) and not Path(value).exists()


def sudachi_text(text: str) -> str:
    """The text as the chiVe model reads it: Sudachi normalized content tokens joined by spaces."""
    from nlp.tokenizer import tokenize

    return " ".join(tokenize(text))


# The word → row table of a static model's tokenizer.json, kept beside it as arrays: parsing the
# 10.7 MB JSON (480,427 words) took 0.5-0.9 s in every build process and server start (the arrays: 0.23-0.29 s).
VOCAB_CACHE = "gikai-vocab.npz"


def _static_files(path: Path) -> tuple[dict[str, int], np.ndarray] | None:
    """(vocabulary, rows) read straight from a model dir holding one StaticEmbedding over
    whitespace-split words (the default chiVe model), or None for any other model."""
    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
        if len(modules) != 1 or not modules[0]["type"].endswith("StaticEmbedding"):
            return None
        module_dir = path / modules[0].get("path", "")
        vocab = _word_level_vocab(module_dir / "tokenizer.json")
        if vocab is None:
            return None
        from safetensors.numpy import load_file

        weights = load_file(str(module_dir / "model.safetensors"))
        rows = weights.get("embedding.weight")
        if rows is None:
            return None
        return vocab, np.asarray(rows, dtype=np.float32)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _word_level_vocab(tokenizer_json: Path) -> dict[str, int] | None:
    """The vocabulary of a WordLevel tokenizer over whitespace-split words without a normalizer
    (None for any other tokenizer), from the cache beside it when that was written from this file."""
    st = tokenizer_json.stat()
    stamp = f"{st.st_size}:{st.st_mtime_ns}"
    cache = tokenizer_json.with_name(VOCAB_CACHE)
    try:
        with np.load(cache, allow_pickle=False) as stored:
            if str(stored["stamp"]) == stamp:
                words = stored["words"].tobytes().decode("utf-8").split("\n")
                return dict(zip(words, stored["ids"].tolist(), strict=True))
    except (OSError, ValueError, KeyError):
        pass  # no cache, another file's, or unreadable: read the JSON
    tok = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    if tok.get("normalizer") is not None or (tok.get("pre_tokenizer") or {}).get("type") != "WhitespaceSplit" \
            or tok["model"]["type"] != "WordLevel":
        return None
    vocab = dict(tok["model"]["vocab"])
    if not any("\n" in w for w in vocab):  # whitespace-split words never hold one; the cache relies on it
        try:
            fd, tmp = tempfile.mkstemp(dir=cache.parent, prefix=".vocab-", suffix=".npz")
            with os.fdopen(fd, "wb") as out:
                np.savez(out, stamp=np.array(stamp), ids=np.fromiter(vocab.values(), np.int64, len(vocab)),
                         words=np.frombuffer("\n".join(vocab).encode("utf-8"), dtype=np.uint8))
            os.chmod(tmp, 0o644)  # readable like the model's other files (mkstemp makes it private)
            os.replace(tmp, cache)  # concurrent builders each write whole files; the last one stays
        except OSError:
            pass  # a read-only model dir: parse the JSON each time
    return vocab


def _bag_of_rows(lookup: tuple[dict[str, int], np.ndarray], token_lists: Sequence[Sequence[str]]) -> np.ndarray:
    """What a StaticEmbedding with mean pooling and normalisation returns for whitespace-joined tokens:
    unknown words map to the zero [UNK] row, and the mean's scale vanishes in the normalisation."""
    return _bag_of_counts(lookup, [Counter(tokens) for tokens in token_lists])


def _bag_of_counts(lookup: tuple[dict[str, int], np.ndarray], counts: Sequence[Mapping[str, int]]) -> np.ndarray:
    """``_bag_of_rows`` from each text's token counts (one vocabulary lookup per distinct token)."""
    vocab, rows = lookup
    unk = vocab.get(UNK, 0)
    ids: list[int] = []
    weights: list[float] = []
    starts = np.zeros(len(counts), dtype=np.int64)
    for i, counted in enumerate(counts):
        starts[i] = len(ids)
        for token, n in counted.items():
            if " " in token:  # the same split the model's WhitespaceSplit makes of " ".join(tokens)
                for word in token.split():
                    ids.append(vocab.get(word, unk))
                    weights.append(n)
            else:
                ids.append(vocab.get(token, unk))
                weights.append(n)
    # A sparse (passages × words) count matrix times the rows: one pass, no gathered copy.
    from scipy.sparse import csr_matrix

    indptr = np.r_[starts, len(ids)]
    matrix = csr_matrix((np.asarray(weights, dtype=np.float32), np.asarray(ids, dtype=np.int64), indptr),
                        shape=(len(counts), rows.shape[0]))
    out = np.asarray(matrix @ rows, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


class Embedder:
    """L2-normalized float32 sentence vectors from a sentence-transformers model."""

    def __init__(
        self,
        model,
        name: str,
        *,
        pretokenize: bool = False,
        query_prefix: str = "",
        passage_prefix: str = "",
        batch_size: int = 256,
    ):
        self._model = model
        self._load_model = lambda: model
        self._path: Path | None = None
        self._name = name
        self.pretokenize = pretokenize
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size

    @classmethod
    def load(
        cls,
        name_or_path: str | Path | None = None,
        *,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
        device: str = "cpu",
        batch_size: int = 256,
    ) -> Embedder:
        """``None`` → the built default (``$GIKAI_EMBEDDING_MODEL`` or ``models/chive-gikai``);
        otherwise a local model dir or a Hugging Face model id. e5 and ruri-v3 models get their
        query/passage prefixes unless given."""
        if name_or_path is None and _is_hub_id(os.environ.get(MODEL_ENV, "")):
            name_or_path = os.environ[MODEL_ENV]
        if name_or_path is None:
            path = default_model_path()
            if not is_built(path):
                how = f"{BUILD_COMMAND} && {TUNE_COMMAND} (make setup does both)" if path == DEFAULT_MODEL_DIR \
                    else f"{BUILD_COMMAND} --out {path}"
                raise EmbeddingModelMissing(f"embedding model not found at {path}; build it with: {how}")
            name_or_path = path
        config: dict = {}
        local = Path(name_or_path)
        if local.is_dir():
            try:
                config = json.loads((local / GIKAI_CONFIG).read_text(encoding="utf-8"))
            except FileNotFoundError:
                config = {}
            name = local.name
        else:
            name = str(name_or_path)
        default_q, default_p = _default_prefixes(name)
        spec = str(name_or_path)
        embedder = cls(
            None,
            name,
            pretokenize=config.get("pretokenize") == "sudachi",
            query_prefix=default_q if query_prefix is None else query_prefix,
            passage_prefix=default_p if passage_prefix is None else passage_prefix,
            batch_size=batch_size,
        )
        # Loaded when first needed: a static model read from its files never needs torch.
        def load_model():
            from sentence_transformers import SentenceTransformer

            return SentenceTransformer(spec, device=device)

        embedder._load_model = load_model
        embedder._path = local if local.is_dir() else None
        return embedder

    @property
    def model(self):
        if self._model is None:
            self._model = self._load_model()
        return self._model

    @model.setter
    def model(self, value) -> None:
        self._model = value

    @property
    def name(self) -> str:
        return self._name

    @property
    def fingerprint(self) -> str:
        """What tells this model's vectors apart from another build under the same name (a retrained
        default model): a digest of its ``gikai.json``, which records the recipe and the training."""
        if self._path is None:
            return ""
        try:
            return hashlib.sha256((self._path / GIKAI_CONFIG).read_bytes()).hexdigest()[:16]
        except OSError:
            return ""

    @property
    def dim(self) -> int:
        lookup = self._static_lookup() if self.pretokenize else None
        if lookup is not None:
            return int(lookup[1].shape[1])
        return int(self.model.get_embedding_dimension())

    def _static_lookup(self) -> tuple[dict[str, int], np.ndarray] | None:
        """(vocabulary, rows) when the model is one StaticEmbedding over whitespace-split words.

        Such a model is a table lookup and a mean; numpy does that without torch's per-batch
        overhead (the build embeds every passage this way). Other models return None.
        """
        if not hasattr(self, "_lookup"):
            self._lookup = _static_files(self._path) if self._path is not None and self._model is None else None
            if self._lookup is not None:
                return self._lookup
            try:
                try:
                    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
                except ImportError:  # sentence-transformers before the modules move
                    from sentence_transformers.models import StaticEmbedding

                modules = list(self.model)
                module = modules[0] if len(modules) == 1 else None
                if isinstance(module, StaticEmbedding):
                    tok = module.tokenizer
                    if tok.normalizer is None and type(tok.pre_tokenizer).__name__ == "WhitespaceSplit":
                        rows = module.embedding.weight.detach().cpu().numpy().astype(np.float32)
                        self._lookup = (tok.get_vocab(), rows)
            except (ImportError, AttributeError, TypeError):
                self._lookup = None
        return self._lookup

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if self.pretokenize and self._static_lookup() is not None:
            from nlp.tokenizer import tokenize

            return _bag_of_rows(self._static_lookup(), [tokenize(t) for t in texts])
        texts = [sudachi_text(t) for t in texts] if self.pretokenize else [prefix + t for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_pretokenized(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """Passage vectors from tokens already made by ``nlp.tokenizer.tokenize`` (static models only),
        so a build that has tokenized for BM25 does not run Sudachi twice."""
        if not self.pretokenize:
            raise ValueError(f"{self.name} reads raw text; use encode_passages")
        if not token_lists:
            return np.zeros((0, self.dim), dtype=np.float32)
        lookup = self._static_lookup()
        if lookup is not None:
            return _bag_of_rows(lookup, token_lists)
        vectors = self.model.encode(
            [" ".join(tokens) for tokens in token_lists],
            batch_size=self.batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_counts(self, counts: Sequence[Mapping[str, int]]) -> np.ndarray:
        """``encode_pretokenized`` from each passage's token counts (what BM25 stores anyway)."""
        lookup = self._static_lookup() if self.pretokenize and counts else None
        if lookup is not None:
            return _bag_of_counts(lookup, counts)
        return self.encode_pretokenized([list(Counter(c).elements()) for c in counts])

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.query_prefix)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, self.passage_prefix)


# --- CLI ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp.embedding", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build the default chiVe model (skipped when already built)")
    build.add_argument(
        "--out", type=Path, default=None, help="model dir (default: models/chive-static)"
    )
    build.add_argument(
        "--wheel", type=Path, default=None, help=f"{GINZA_WHEEL}; downloaded with pip when omitted"
    )
    build.add_argument("--force", action="store_true", help="rebuild even when the model is already built")
    args = parser.parse_args(argv)
    out = args.out or BASE_MODEL_DIR
    if is_built(out) and not args.force:
        print(f"{out}: already built")
        return 0
    if args.wheel is not None and not args.wheel.is_file():
        parser.error(f"--wheel {args.wheel}: no such file")
    build_default_model(out, args.wheel, force=args.force)
    print(f"{out}: built")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
