"""nlp.embedding: reading chiVe from the ja-ginza wheel, the built StaticEmbedding model, Embedder."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nlp import embedding
from nlp.embedding import Embedder, EmbeddingModelMissing, build_default_model, is_built, spacy_hash

LOCAL_WHEELS = [
    Path("/tmp/jag") / embedding.GINZA_WHEEL,
    embedding.REPO_ROOT / "models/downloads" / embedding.GINZA_WHEEL,
]


@pytest.fixture(scope="session")
def chive_dir(tmp_path_factory) -> Path:
    """The real chiVe model (the base of the trained default, tests/nlp/test_finetune.py): models/chive-static
    when built, else built once from a local wheel."""
    if is_built(embedding.BASE_MODEL_DIR):
        return embedding.BASE_MODEL_DIR
    wheel = next((w for w in LOCAL_WHEELS if w.is_file()), None)
    if wheel is None:
        pytest.skip(f"no chiVe model or ja-ginza wheel offline; run: {embedding.BUILD_COMMAND}")
    return build_default_model(tmp_path_factory.mktemp("models") / "chive-static", wheel)


@pytest.fixture(scope="session")
def chive(chive_dir) -> Embedder:
    return Embedder.load(str(chive_dir))


# --- the real model ------------------------------------------------------------------------------


def test_default_model_shape_and_name(chive):
    assert chive.dim == 300
    assert chive.pretokenize
    vectors = chive.encode_passages(["病児保育の拡充を求めます。", "道路整備を進めます。"])
    assert vectors.shape == (2, 300) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_childcare_sentences_are_closer_to_each_other_than_to_roads(chive):
    sick_child, child_rearing, roads = chive.encode_passages(
        [
            "病児保育の施設を増やし、働く保護者を支援すべきだ。",
            "子育て世帯への支援と保育所の待機児童対策を充実させる。",
            "幹線道路の整備と橋梁の補修工事を計画的に進める。",
        ]
    )
    assert sick_child @ child_rearing > sick_child @ roads
    assert sick_child @ child_rearing > child_rearing @ roads


def test_spelling_variants_share_one_vector(chive):
    kodomo, kodomo_kanji = chive.encode_queries(["子どもの医療費", "子供の医療費"])
    np.testing.assert_array_equal(kodomo, kodomo_kanji)


def test_pruned_word_keeps_a_vector_after_save(chive_dir):
    # オスプレイ has no row of its own in the wheel; it was pruned onto 普天間's vector. Saved, it maps to
    # the pruned block (rows k..2k-1): 普天間's direction at the weight of the rarest kept word.
    from safetensors.numpy import load_file
    from sentence_transformers import SentenceTransformer

    vocab = json.loads((chive_dir / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    rows = load_file(str(chive_dir / "model.safetensors"))["embedding.weight"]
    kept = (rows.shape[0] - 2) // 2
    assert vocab["普天間"] < kept and vocab["オスプレイ"] == kept + vocab["普天間"]

    model = SentenceTransformer(str(chive_dir), device="cpu")
    osprey, futenma = model.encode(["オスプレイ", "普天間"], show_progress_bar=False)
    np.testing.assert_array_equal(osprey, rows[vocab["オスプレイ"]])
    np.testing.assert_array_equal(futenma, rows[vocab["普天間"]])
    cosine = osprey @ futenma / (np.linalg.norm(osprey) * np.linalg.norm(futenma))
    assert cosine == pytest.approx(1.0, abs=1e-5)  # the same direction …
    assert np.linalg.norm(osprey) > np.linalg.norm(futenma)  # … at the rarer word's higher SIF weight


def test_saved_dir_loads_with_plain_sentence_transformer(chive_dir, chive):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(chive_dir), device="cpu")
    text = "待機児童の解消に向けて保育所を整備する。"
    plain = model.encode([embedding.sudachi_text(text)], normalize_embeddings=True, show_progress_bar=False)
    np.testing.assert_allclose(plain[0], chive.encode_passages([text])[0], atol=1e-6)


def test_hf_style_local_dir_loads_by_path(chive_dir):
    loaded = Embedder.load(chive_dir)
    assert loaded.name == chive_dir.name and loaded.dim == 300
    assert loaded.encode_queries([]).shape == (0, 300)


def test_text_without_content_words_gives_a_zero_vector(chive):
    vectors = chive.encode_passages(["はい。", "保育所を整備する。"])
    assert not vectors[0].any() and vectors[1].any()


# --- loading errors and prefixes ----------------------------------------------------------------


def test_missing_default_model_names_the_build_command(monkeypatch, tmp_path):
    monkeypatch.setenv(embedding.MODEL_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(EmbeddingModelMissing, match=r"python -m nlp\.embedding build --out .*nowhere"):
        Embedder.load()


@pytest.mark.parametrize(
    ("name", "prefixes"),
    [
        ("intfloat/multilingual-e5-small", ("query: ", "passage: ")),
        ("cl-nagoya/ruri-v3-30m", ("検索クエリ: ", "検索文書: ")),
        ("sentence-transformers/all-MiniLM-L6-v2", ("", "")),
    ],
)
def test_known_models_get_their_prefixes(name, prefixes):
    assert embedding._default_prefixes(name) == prefixes


# --- building from a wheel: a tiny fake ja-ginza wheel in spaCy's format ---------------------------


def test_spacy_hash_matches_spacy():
    assert spacy_hash("coffee") == 3197928453018144401  # the value in spaCy's docs


def _msgpack_uint(value: int) -> bytes:
    if value <= 0x7F:
        return bytes([value])
    return b"\xcf" + struct.pack(">Q", value) if value > 0xFFFF else b"\xcd" + struct.pack(">H", value)


def _fake_wheel(path: Path, kept: dict[str, list[float]], pruned: dict[str, str]) -> Path:
    words = list(kept)
    vectors = np.asarray([kept[w] for w in words], dtype=np.float32)
    key2row = [(spacy_hash(w), i) for i, w in enumerate(words)]
    key2row += [(spacy_hash(w), words.index(target)) for w, target in pruned.items()]
    key2row.append((12345, 0))  # a key without a string, as the real wheel has
    packed = b"\xdf" + struct.pack(">I", len(key2row))
    packed += b"".join(_msgpack_uint(k) + _msgpack_uint(r) for k, r in key2row)
    npy = io.BytesIO()
    np.save(npy, vectors)
    with zipfile.ZipFile(path, "w") as zf:
        base = "ja_ginza/ja_ginza-5.3.0/vocab/"
        zf.writestr(base + "vectors", npy.getvalue())
        zf.writestr(base + "key2row", packed)
        zf.writestr(base + "strings.json", json.dumps(sorted([*kept, *pruned, "余分"]), ensure_ascii=False))
        zf.writestr(base + "vectors.cfg", '{"mode":"default"}')
    return path


@pytest.fixture(scope="module")
def fake_wheel(tmp_path_factory) -> Path:
    kept = {"保育": [1, 0, 0], "子供": [0.9, 0.1, 0], "道路": [0, 1, 0], "整備": [0, 0.5, 0.5]}
    pruned = {"病児": "保育", "橋梁": "道路"}
    return _fake_wheel(tmp_path_factory.mktemp("wheel") / embedding.GINZA_WHEEL, kept, pruned)


def test_read_chive_joins_strings_to_rows_in_frequency_order(fake_wheel):
    chive = embedding.read_chive(fake_wheel)
    assert chive.words == ["保育", "子供", "道路", "整備", "病児", "橋梁"]
    assert chive.rows.tolist() == [0, 1, 2, 3, 0, 2]
    assert chive.ranks.tolist() == [0, 1, 2, 3, 4, 5]
    assert chive.vectors.shape == (4, 3)


def test_static_weights_give_pruned_words_their_own_rows(fake_wheel):
    vocab, matrix = embedding.static_weights(embedding.read_chive(fake_wheel), remove_pc=False)
    assert vocab["保育"] == 0 and vocab["病児"] == 4 and vocab["橋梁"] == 6
    assert vocab[embedding.UNK] == 8 and matrix.shape == (10, 3)
    assert not matrix[8:].any()
    # Same direction as its target; a rarer word weighs more.
    np.testing.assert_allclose(matrix[4] / np.linalg.norm(matrix[4]), [1, 0, 0], atol=1e-6)
    assert np.linalg.norm(matrix[4]) > np.linalg.norm(matrix[0])


def test_sif_weights_grow_with_rarity():
    weights = embedding.sif_weights(1000, a=1e-3)
    assert weights.shape == (1000,) and np.all(np.diff(weights) > 0) and weights[-1] < 1


def test_build_from_wheel_is_complete_and_idempotent(fake_wheel, tmp_path):
    from sentence_transformers import SentenceTransformer

    out = build_default_model(tmp_path / "model", fake_wheel)
    assert is_built(out)
    assert json.loads((out / "gikai.json").read_text())["pretokenize"] == "sudachi"
    stamp = (out / "model.safetensors").stat().st_mtime_ns
    assert build_default_model(out, fake_wheel) == out
    assert (out / "model.safetensors").stat().st_mtime_ns == stamp

    model = SentenceTransformer(str(out), device="cpu")
    sick_child, childcare, bridge = model.encode(["病児", "保育", "橋梁"], show_progress_bar=False)
    assert sick_child @ childcare > 0 and abs(sick_child @ bridge) < 1e-6
    assert list(tmp_path.iterdir()) == [out]  # no staging dirs left behind


def test_local_dir_without_gikai_config_reads_raw_text_with_prefixes(fake_wheel, tmp_path):
    out = build_default_model(tmp_path / "e5-like", fake_wheel)
    (out / "gikai.json").unlink()
    loaded = Embedder.load(out, query_prefix="保育 ", passage_prefix="")
    assert not loaded.pretokenize
    query, passage = loaded.encode_queries(["道路"])[0], loaded.encode_passages(["道路"])[0]
    assert passage.any() and not np.allclose(query, passage)  # the prefix word went into the query


def test_cli_build_skips_a_built_model(fake_wheel, tmp_path, capsys):
    out = tmp_path / "model"
    assert embedding.main(["build", "--out", str(out), "--wheel", str(fake_wheel)]) == 0
    assert embedding.main(["build", "--out", str(out)]) == 0
    assert capsys.readouterr().out.splitlines() == [f"{out}: built", f"{out}: already built"]


def test_cli_build_rejects_a_missing_wheel(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        embedding.main(["build", "--out", str(tmp_path / "m"), "--wheel", str(tmp_path / "none.whl")])
    assert exc.value.code == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("value", "is_hub"),
    [("cl-nagoya/ruri-v3-30m", True), ("/srv/models/chive", False), ("./models/x", False), ("", False)],
)
def test_env_value_is_a_hub_id_or_a_path(value, is_hub):
    assert embedding._is_hub_id(value) is is_hub


def test_static_vocabulary_is_read_from_its_cache_written_from_this_tokenizer(fake_wheel, tmp_path):
    import os

    out = build_default_model(tmp_path / "model", fake_wheel)
    tokenizer = out / "tokenizer.json"
    cache = out / embedding.VOCAB_CACHE
    expected = json.loads(tokenizer.read_text(encoding="utf-8"))["model"]["vocab"]
    cache.unlink(missing_ok=True)
    vocab, rows = embedding._static_files(out)
    assert vocab == expected and rows.shape == (10, 3) and cache.is_file()
    assert cache.stat().st_mode & 0o777 == 0o644

    # Same size and time as the file the cache was written from: the cache is what is read.
    st = tokenizer.stat()
    text = tokenizer.read_text(encoding="utf-8")
    tokenizer.write_text(text.replace('"保育"', '"保護"'), encoding="utf-8")
    os.utime(tokenizer, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert embedding._static_files(out)[0] == expected

    # Another tokenizer file (a new time): the JSON is read again and the cache rewritten.
    os.utime(tokenizer, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    changed = embedding._static_files(out)[0]
    assert "保護" in changed and "保育" not in changed and changed["保護"] == expected["保育"]
    os.utime(tokenizer, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert embedding._static_files(out)[0] == changed
    assert not [p for p in out.iterdir() if p.name.startswith(".vocab-")]


def test_static_vocabulary_without_a_writable_model_dir(fake_wheel, tmp_path, monkeypatch):
    out = build_default_model(tmp_path / "model", fake_wheel)
    (out / embedding.VOCAB_CACHE).unlink(missing_ok=True)

    def read_only(*args, **kwargs):  # what a read-only dir answers (chmod does not stop root)
        raise PermissionError(13, "Permission denied", str(out))

    monkeypatch.setattr(embedding.tempfile, "mkstemp", read_only)
    vocab, _ = embedding._static_files(out)
    assert vocab == json.loads((out / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    assert not (out / embedding.VOCAB_CACHE).exists()
