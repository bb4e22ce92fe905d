"""The lottery's arithmetic, without the database: normalising the public random value (the
beacon), checking it against the committed format, hashing the pool, ranking the units
(algorithm sha256-rank-v1). tools/verify_draw.py repeats this with the standard library only."""

import hashlib
import json
import re
import unicodedata

ALGORITHM = "sha256-rank-v1"
# In a format, N stands for one digit 0-9; every other character stands for itself.
FORMAT_DIGIT = "N"
FORMAT_MAX_LENGTH = 100


def normalise(text: str) -> str:
    """Unicode NFKC (full-width digits and the ideographic space become ASCII), surrounding
    whitespace removed, inner runs of whitespace to one space: `３　７  ２` is `3 7 2`."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).strip()


def format_regex(beacon_format: str) -> re.Pattern | None:
    """The pattern of a format ("N N N": three digits separated by single spaces); None: any."""
    beacon_format = normalise(beacon_format)
    if not beacon_format:
        return None
    return re.compile("".join("[0-9]" if ch == FORMAT_DIGIT else re.escape(ch) for ch in beacon_format))


def matches_format(beacon: str, beacon_format: str) -> bool:
    """Whether a normalised beacon has the committed format (an empty format accepts any value)."""
    pattern = format_regex(beacon_format)
    if not beacon:
        return False
    return pattern is None or pattern.fullmatch(beacon) is not None


def canonical_pool(pool: list[dict]) -> str:
    """The pool as it is hashed and published: [{"code","name"}] sorted by code, compact JSON."""
    rows = sorted(({"code": u["code"], "name": u["name"]} for u in pool), key=lambda u: u["code"])
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def pool_sha256(pool_json: str) -> str:
    return hashlib.sha256(pool_json.encode("utf-8")).hexdigest()


def score(beacon: str, code: str) -> str:
    return hashlib.sha256((beacon + "/" + code).encode("utf-8")).hexdigest()


def rank(beacon: str, codes: list[str]) -> list[dict]:
    """sha256-rank-v1: each unit's score is sha256(beacon + "/" + code) in lowercase hex; units
    sorted by score ascending (by code on the impossible tie). The first `count` are drawn."""
    scored = [{"code": code, "score": score(beacon, code)} for code in codes]
    return sorted(scored, key=lambda row: (row["score"], row["code"]))
