"""Pure logic of the ballot: the grade rule, the quorum, the tellers' key and sealing."""

import pytest

from intake.appraisal import ballot
from intake.appraisal.ballot import Count
from intake.appraisal.models import Grade

S, B, D = Grade.satisfied, Grade.basic, Grade.dissatisfied


@pytest.mark.parametrize(
    ("count", "rule", "grade"),
    [
        (Count(satisfied=6, basic=2, dissatisfied=2), (50, 50), S),
        (Count(satisfied=5, basic=3, dissatisfied=2), (50, 50), B),  # 5 of 10 does not exceed half
        (Count(satisfied=3, basic=2, dissatisfied=5), (50, 50), D),  # 3 + 2 = half, not more
        (Count(satisfied=3, basic=3, dissatisfied=4), (50, 50), B),
        (Count(satisfied=6, basic=0, dissatisfied=4, abstained=20), (50, 50), S),  # abstentions are not valid
        (Count(satisfied=6, basic=2, dissatisfied=2), (66, 50), B),  # a stricter rule
        (Count(satisfied=7, basic=2, dissatisfied=1), (66, 80), S),
        (Count(satisfied=2, basic=6, dissatisfied=2), (50, 80), D),  # 8 of 10 does not exceed 80 %
        (Count(abstained=4), (50, 50), None),
    ],
)
def test_grade_rule(count, rule, grade):
    assert ballot.grade_by_rule(count, *rule) is grade


@pytest.mark.parametrize(
    ("voted", "roll", "fraction", "met"),
    [
        (20, 30, (2, 3), True),
        (19, 30, (2, 3), False),
        (2, 3, (2, 3), True),
        (1, 3, (2, 3), False),
        (16, 30, (1, 2), True),
        (0, 0, (2, 3), False),
    ],
)
def test_quorum(voted, roll, fraction, met):
    assert ballot.quorum_met(voted, roll, *fraction) is met


def test_key_code_round_trips_and_catches_typos():
    private, public = ballot.new_key_pair()
    code = ballot.key_code(private)
    assert ballot.key_matches(ballot.parse_key(code.lower().replace("-", " ")), public)
    assert ballot.key_matches(ballot.parse_key(ballot.key_file_text(private, "t", 1)), public)
    typo = ("B" if code[0] != "B" else "C") + code[1:]
    for bad in (typo, code[:-5], "", "not a key at all", code + "AAAA"):
        with pytest.raises(ballot.BallotError):
            ballot.parse_key(bad)


def test_sealed_ballots_open_only_with_their_key_and_have_one_length():
    private, public = ballot.new_key_pair()
    other, _ = ballot.new_key_pair()
    sealed = [ballot.seal(public, marks) for marks in ([S, B], [D, None], [B, B])]
    assert len({len(s) for s in sealed}) == 1  # the size says nothing about the marks
    assert ballot.open_sealed(private, sealed[1], 2) == [D, None]
    with pytest.raises(ballot.BallotError):
        ballot.open_sealed(other, sealed[0], 2)
    with pytest.raises(ballot.BallotError):
        ballot.open_sealed(private, sealed[0], 3)
