"""The words a company's description of its solution is searched with.

A sales text names its customer and itself (当社は自治体向けに…を提供し、導入自治体では…): those words say
nothing about the need, yet a member's passage that happens to say 自治体 twice outranked the one on the need
itself (荒木ちはる's 島しょ tourism passage before her 待機児童 question, for a 病児保育 booking service).
"""

from __future__ import annotations

from nlp.tokenizer import tokenize

SALES_WORDS = frozenset("当社 弊社 我が社 自治体 自治 体 導入 提供 実績 製品 ソリューション 顧客 向け 可能 実現 機能".split())
# Fewer distinct words than this once the sales words are out (自治体向けチャットボット): keep them all.
MIN_NEED_WORDS = 3


def description_tokens(text: str) -> list[str]:
    """``tokenize(text)`` without the sales words, unless fewer than MIN_NEED_WORDS distinct words remain."""
    tokens = tokenize(text)
    need = [t for t in tokens if t not in SALES_WORDS]
    return need if len(set(need)) >= MIN_NEED_WORDS else tokens
