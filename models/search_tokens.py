"""The one search tokenizer, used to index and to query on both backends.

CJK text is cut into overlapping character bigrams (as Elasticsearch's `cjk_bigram` filter
does), so a two-character word such as 火锅 is one whole token: trigram indexes (pg_trgm,
FTS5 `trigram`) need three characters and miss it. A lone CJK character is also indexed as a
unigram, so a one-character query (面) still matches. Latin words and numbers are lower-cased
whole words plus their prefixes (edge n-grams of 2..PREFIX_MAX characters), so "spic" finds
"Spicy" with a plain exact-token lookup: a GIN `@>` on PostgreSQL, an FTS5 `MATCH` on SQLite.

Tokens never contain spaces or quotes: a document is its tokens joined by spaces.
"""

from __future__ import annotations

import re
import unicodedata

PREFIX_MAX = 15
# Han (with extensions and compatibility ideographs), kana, Hangul syllables.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af\U00020000-\U0002fa1f"
_RUNS = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")


def _normal(text: str) -> str:
    # NFKC folds full-width Latin (ＡＢＣ) and half-width kana to their usual forms.
    return unicodedata.normalize("NFKC", text).casefold()


def _runs(text: str) -> list[tuple[bool, str]]:
    """(is_cjk, run) pairs of the text, in order."""
    return [(bool(m.group(1)), m.group(0)) for m in _RUNS.finditer(_normal(text))]


def index_tokens(text: str) -> list[str]:
    """Tokens stored for a document (distinct, in first-seen order)."""
    out: dict[str, None] = {}
    for cjk, run in _runs(text):
        if cjk:
            for char in run:
                out[char] = None
            for i in range(len(run) - 1):
                out[run[i : i + 2]] = None
        else:
            out[run] = None
            for n in range(2, min(len(run), PREFIX_MAX) + 1):
                out[run[:n]] = None
    return list(out)


def query_tokens(text: str) -> list[str]:
    """Tokens a query requires (all of them must be in the document).

    CJK runs give their bigrams (a one-character run its unigram); Latin words give the word, cut
    to PREFIX_MAX so a long word still meets its indexed prefix; one-letter words are dropped.
    """
    out: dict[str, None] = {}
    for cjk, run in _runs(text):
        if cjk:
            grams = [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
            out.update(dict.fromkeys(grams))
        elif len(run) >= 2:
            out[run[:PREFIX_MAX]] = None
    return list(out)


def joined(tokens: list[str]) -> str:
    return " ".join(tokens)
