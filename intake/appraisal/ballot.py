"""The sealed ballot as bytes, the tellers' key as text, and the grade rule: pure logic, no
database. A ballot's plaintext is one mark per unit on the ballot, in the session's order, so
every ballot of a session has the same length and its ciphertext's size says nothing."""

import base64
import hashlib
from dataclasses import dataclass

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from intake.appraisal.models import Grade

ABSTAIN = "A"  # 弃权
MARK_OF_GRADE = {Grade.satisfied: "S", Grade.basic: "B", Grade.dissatisfied: "D"}
GRADE_OF_MARK = {mark: grade for grade, mark in MARK_OF_GRADE.items()}
PLAINTEXT_PREFIX = b"intake-ballot-1:"
KEY_PREFIX = "INTAKE-BALLOT-KEY-1"


class BallotError(ValueError):
    """A ballot, a key or a mark that cannot be used; the message is for the log, not a user."""


# --- the tellers' key ---------------------------------------------------------------------------


def new_key_pair() -> tuple[PrivateKey, bytes]:
    private = PrivateKey.generate()
    return private, bytes(private.public_key)


def key_code(private: PrivateKey) -> str:
    """The private key as the tellers write it down: base32 and a 4-character check, in groups
    of four (e.g. ABCD-EFGH-…), readable aloud and typed back without ambiguity."""
    raw = bytes(private)
    body = base64.b32encode(raw).decode("ascii").rstrip("=")
    check = base64.b32encode(hashlib.sha256(raw).digest()).decode("ascii")[:4]
    text = body + check
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def key_file_text(private: PrivateKey, session_title: str, session_id: int) -> str:
    return (
        f"# {KEY_PREFIX}\n# session {session_id}: {session_title}\n"
        "# The private key of this secret ballot. Keep it offline; without it the ballots cannot be opened.\n"
        f"{key_code(private)}\n"
    )


def parse_key(text: str) -> PrivateKey:
    """The key from a key file or a typed code; spaces, dashes, case and comment lines ignored."""
    lines = [line for line in (text or "").splitlines() if not line.lstrip().startswith("#")]
    compact = "".join(ch for ch in "".join(lines).upper() if ch.isalnum())
    body, check = compact[:52], compact[52:]
    if len(compact) != 56:
        raise BallotError("key has the wrong length")
    try:
        raw = base64.b32decode(body + "====")
    except (ValueError, base64.binascii.Error) as exc:
        raise BallotError("key is not base32") from exc
    if base64.b32encode(hashlib.sha256(raw).digest()).decode("ascii")[:4] != check:
        raise BallotError("key check characters do not match")
    return PrivateKey(raw)


def key_matches(private: PrivateKey, public_key: bytes) -> bool:
    return bytes(private.public_key) == bytes(public_key)


# --- ballots ------------------------------------------------------------------------------------


def marks_text(marks: list[Grade | None]) -> str:
    return "".join(MARK_OF_GRADE[m] if m is not None else ABSTAIN for m in marks)


def seal(public_key: bytes, marks: list[Grade | None]) -> bytes:
    plaintext = PLAINTEXT_PREFIX + marks_text(marks).encode("ascii")
    return SealedBox(PublicKey(public_key)).encrypt(plaintext)


def open_sealed(private: PrivateKey, sealed: bytes, unit_count: int) -> list[Grade | None]:
    try:
        plaintext = SealedBox(private).decrypt(bytes(sealed))
    except CryptoError as exc:
        raise BallotError("ballot does not open with this key") from exc
    if not plaintext.startswith(PLAINTEXT_PREFIX):
        raise BallotError("not a ballot")
    marks = plaintext[len(PLAINTEXT_PREFIX) :].decode("ascii", "replace")
    if len(marks) != unit_count or any(m != ABSTAIN and m not in GRADE_OF_MARK for m in marks):
        raise BallotError("ballot has the wrong marks")
    return [GRADE_OF_MARK.get(m) for m in marks]


# --- counting -----------------------------------------------------------------------------------


@dataclass
class Count:
    satisfied: int = 0
    basic: int = 0
    dissatisfied: int = 0
    abstained: int = 0

    def add(self, mark: Grade | None) -> None:
        name = mark.value if mark is not None else "abstained"
        setattr(self, name, getattr(self, name) + 1)

    @property
    def valid(self) -> int:
        return self.satisfied + self.basic + self.dissatisfied


def grade_by_rule(count: Count, satisfied_percent: int = 50, basic_percent: int = 50) -> Grade | None:
    """满意 when 满意 exceeds satisfied_percent % of the valid ballots; otherwise 基本满意 when
    满意 + 基本满意 exceed basic_percent %; otherwise 不满意. None without any valid ballot.
    Integer arithmetic: "exceeds half" of 10 is 6, never 5."""
    valid = count.valid
    if valid == 0:
        return None
    if count.satisfied * 100 > valid * satisfied_percent:
        return Grade.satisfied
    if (count.satisfied + count.basic) * 100 > valid * basic_percent:
        return Grade.basic
    return Grade.dissatisfied


def quorum_met(voted: int, roll: int, numerator: int = 2, denominator: int = 3) -> bool:
    """At least numerator/denominator of the roll voted (two thirds of 30 is 20)."""
    return roll > 0 and voted * denominator >= roll * numerator
