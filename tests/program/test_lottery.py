"""The lottery's arithmetic: normalisation, formats, the pool hash, sha256-rank-v1 on a known vector."""

import hashlib

import pytest

from intake.program import lottery


@pytest.mark.parametrize("typed", ["3 7 2", "３ ７ ２", "3　7　2", "  3 \t7\u00a0\u00a02\n", "３　７　２"])
def test_people_type_the_same_value_in_many_ways(typed):
    assert lottery.normalise(typed) == "3 7 2"


@pytest.mark.parametrize(
    "beacon_format, value, ok",
    [
        ("N N N", "3 7 2", True),
        ("N N N", "372", False),
        ("N N N", "3 7 2 1", False),
        ("N N N", "3 7 a", False),
        ("NNNNN", "04871", True),
        ("ＮＮ+Ｎ", "12+7", True),  # the format is normalised too
        ("", "anything at all", True),
        ("", "", False),  # there is always a value
        ("N.N", "1x2", False),  # a dot is a dot, not a wildcard
    ],
)
def test_format_check(beacon_format, value, ok):
    assert lottery.matches_format(lottery.normalise(value), beacon_format) is ok


def test_pool_hash_is_of_compact_sorted_json():
    pool = [{"code": "gk", "name": "县工业商务和科学技术信息局"}, {"code": "cz", "name": "县财政局"}]
    text = lottery.canonical_pool(pool)
    assert text == '[{"code":"cz","name":"县财政局"},{"code":"gk","name":"县工业商务和科学技术信息局"}]'
    assert lottery.pool_sha256(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()


# Computed outside Python with `printf '3 7 2/cz' | sha256sum`; it must never change.
KNOWN_VECTOR = [
    {"code": "cz", "score": "67e7417576d6fad77885c9baf45c02f664925f266a6e289a9e4c6efbc8e57a50"},
    {"code": "gk", "score": "91d03577f63b2621bfa296399bd87f2a9370e69356e0ccd689496f3941408ea0"},
    {"code": "zwfw", "score": "a51227513df2126fe634de1a6c38e83f81696baa50559ea27b86c13b3609f36a"},
    {"code": "jt", "score": "bb8506195c8a42a1cacdc858483608de94cd991cefa3cd5f5b9d726581f91fcf"},
]


def test_sha256_rank_v1_known_vector():
    assert lottery.ALGORITHM == "sha256-rank-v1"
    assert lottery.rank("3 7 2", ["zwfw", "jt", "gk", "cz"]) == KNOWN_VECTOR
