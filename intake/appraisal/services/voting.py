"""The secret ballot (不记名投票): sessions, casting, paper ballots, the close and the count.

Casting is one transaction: the roll flag flips only if still unset (UPDATE … WHERE NOT
has_voted), then the sealed ballot and a receipt are stored. Nothing in it names the voter
beside the roll flag, carries a time, or is logged with the user."""

import logging
import random
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from intake.appraisal import ballot
from intake.appraisal.models import (
    AppraisalSession,
    BallotReceipt,
    Grade,
    RollEntry,
    SealedBallot,
    SessionEvent,
    SessionEventKind,
    SessionState,
    SessionUnit,
    UnitResult,
)
from intake.appraisal.services import HIDDEN_MESSAGE, AppraisalError, ResultsHidden
from intake.auth.models import Role, User
from intake.extensions import db
from intake.program.models import CycleUnit
from intake.program.services import get_cycle
from intake.timeutil import utcnow

log = logging.getLogger(__name__)
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
RECEIPT_LENGTH = 10


@dataclass
class SessionInput:
    title: str
    opens_at: datetime  # naive UTC
    closes_at: datetime
    member_ids: list[int] = field(default_factory=list)
    cycle_unit_ids: list[int] = field(default_factory=list)
    quorum_numerator: int = 2
    quorum_denominator: int = 3
    satisfied_percent: int = 50
    basic_percent: int = 50
    tellers: str = ""


def _event(session: AppraisalSession, kind: SessionEventKind, actor_id: int | None, note: str | None = None) -> None:
    db.session.add(SessionEvent(session_id=session.id, kind=kind, actor_id=actor_id, note=note))


def get_session(session_id: int) -> AppraisalSession | None:
    return db.session.get(AppraisalSession, session_id)


def sessions_of(year: int | None = None) -> list[AppraisalSession]:
    q = select(AppraisalSession).order_by(AppraisalSession.opens_at.desc(), AppraisalSession.id.desc())
    if year is not None:
        cycle = get_cycle(year)
        q = q.where(AppraisalSession.cycle_id == (cycle.id if cycle else -1))
    return list(db.session.scalars(q))


def create_session(year: int, data: SessionInput, actor_id: int | None = None) -> AppraisalSession:
    cycle = get_cycle(year)
    if cycle is None:
        raise AppraisalError(_l("There is no supervision cycle for this year."))
    if not (data.title or "").strip():
        raise AppraisalError(_l("Give the session a title."), "title")
    if data.closes_at <= data.opens_at:
        raise AppraisalError(_l("The closing time must be after the opening time."), "closes_at")
    if not 1 <= data.quorum_numerator <= data.quorum_denominator:
        raise AppraisalError(_l("The quorum must be a fraction between 0 and 1, such as 2/3."), "quorum_numerator")
    if not (0 <= data.satisfied_percent <= 99 and 0 <= data.basic_percent <= 99):
        raise AppraisalError(_l("The grade rule's shares must be between 0 and 99 per cent."), "satisfied_percent")
    units = list(
        db.session.scalars(
            select(CycleUnit).where(CycleUnit.id.in_(data.cycle_unit_ids), CycleUnit.cycle_id == cycle.id)
        )
    )
    if not units or len(units) != len(set(data.cycle_unit_ids)):
        raise AppraisalError(_l("Choose the units on the ballot among the year's supervised units."), "unit_ids")
    members = list(db.session.scalars(select(User).where(User.id.in_(data.member_ids), User.role == Role.member)))
    if not members or len(members) != len(set(data.member_ids)):
        raise AppraisalError(
            _l("The voter roll may only list committee members, and needs at least one."), "member_ids"
        )
    session = AppraisalSession(
        cycle_id=cycle.id,
        title=data.title.strip()[:200],
        state=SessionState.draft,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        quorum_numerator=data.quorum_numerator,
        quorum_denominator=data.quorum_denominator,
        satisfied_percent=data.satisfied_percent,
        basic_percent=data.basic_percent,
        tellers=(data.tellers or "").strip(),
        paper_ballots=0,
        created_by_id=actor_id,
    )
    db.session.add(session)
    order = {cu_id: i for i, cu_id in enumerate(data.cycle_unit_ids)}
    for cu in sorted(units, key=lambda cu: order[cu.id]):
        session.units.append(SessionUnit(cycle_unit_id=cu.id, position=order[cu.id] + 1))
    db.session.flush()
    for member in sorted(members, key=lambda m: m.id):
        db.session.add(RollEntry(session_id=session.id, user_id=member.id, has_voted=False))
    db.session.flush()
    return session


def ballot_count(session: AppraisalSession) -> int:
    return db.session.scalar(select(func.count()).where(SealedBallot.session_id == session.id))


def open_session(session: AppraisalSession, actor_id: int | None):
    """Make the session's key pair and open it. Returns the private key, to be shown once to the
    tellers and forgotten. Again while no ballot is in: a lost key is replaced by a new one."""
    if session.state not in (SessionState.draft, SessionState.open):
        raise AppraisalError(_l("This session is closed."))
    if session.state is SessionState.open and ballot_count(session):
        raise AppraisalError(_l("Ballots have been cast with the current key: it cannot be replaced."))
    private, public = ballot.new_key_pair()
    kind = SessionEventKind.rekeyed if session.public_key else SessionEventKind.opened
    session.public_key = public
    session.state = SessionState.open
    _event(session, kind, actor_id)
    db.session.flush()
    return private


def effective_state(session: AppraisalSession, now: datetime | None = None) -> SessionState:
    """An open session past its closing time is closed, whether or not anyone pressed close."""
    now = now or utcnow()
    if session.state is SessionState.open and now >= session.closes_at:
        return SessionState.closed
    return session.state


def voting_open(session: AppraisalSession, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return effective_state(session, now) is SessionState.open and session.opens_at <= now


def roll_entry(session: AppraisalSession, user_id: int) -> RollEntry | None:
    return db.session.scalar(select(RollEntry).where(RollEntry.session_id == session.id, RollEntry.user_id == user_id))


def sessions_of_voter(user_id: int) -> list[tuple[AppraisalSession, RollEntry]]:
    rows = db.session.execute(
        select(AppraisalSession, RollEntry)
        .join(RollEntry, RollEntry.session_id == AppraisalSession.id)
        .where(RollEntry.user_id == user_id, AppraisalSession.state != SessionState.draft)
        .order_by(AppraisalSession.opens_at.desc())
    )
    return [(s, r) for s, r in rows]


def new_receipt_code() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))


def _flip_roll(session_id: int, user_ids: list[int]) -> int:
    result = db.session.execute(
        update(RollEntry)
        .where(RollEntry.session_id == session_id, RollEntry.user_id.in_(user_ids), RollEntry.has_voted.is_(False))
        .values(has_voted=True)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def cast_vote(session: AppraisalSession, user_id: int, marks: list[Grade | None]) -> str:
    """One member's ballot: the roll flag, the sealed ballot and a receipt, or nothing at all.
    Returns the receipt code. The caller commits."""
    if not voting_open(session):
        raise AppraisalError(_l("Voting is not open in this session."))
    if len(marks) != len(session.units):
        raise AppraisalError(_l("Mark every unit on the ballot (abstaining is a mark)."))
    # The flag flips only for a member on the roll who has not voted: one statement decides, and
    # the roll is read only to say which of the two it was (50 members vote within a second).
    if _flip_roll(session.id, [user_id]) != 1:
        if roll_entry(session, user_id) is None:
            raise AppraisalError(_l("You are not on the voter roll of this session."))
        raise AppraisalError(_l("You have already voted in this session."))
    db.session.add(SealedBallot(session_id=session.id, sealed=ballot.seal(session.public_key, marks)))
    code = new_receipt_code()
    db.session.add(BallotReceipt(session_id=session.id, code=code))
    db.session.flush()
    log.info("a vote was cast in appraisal session %s", session.id)
    return code


# Paper ballots, one per line: a mark per unit, in the ballot's order.
MARK_WORDS = {
    Grade.satisfied: ("满意", "滿意", "满", "滿", "s", "satisfied"),
    Grade.basic: ("基本满意", "基本滿意", "基本", "基", "b", "basic"),
    Grade.dissatisfied: ("不满意", "不滿意", "不", "d", "dissatisfied"),
    None: ("弃权", "棄權", "弃", "棄", "a", "abstain", "-"),
}
_WORD_TO_MARK = {word: mark for mark, words in MARK_WORDS.items() for word in words}
_SPLIT = re.compile(r"[\s,，、;；/|]+")


def parse_paper_ballots(text: str, unit_count: int) -> list[list[Grade | None]]:
    ballots = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        words = [w for w in _SPLIT.split(line.strip().lower()) if w]
        if not words:
            continue
        if len(words) != unit_count or any(w not in _WORD_TO_MARK for w in words):
            raise AppraisalError(
                _l(
                    "Line %(n)d: give one mark per unit (满意, 基本满意, 不满意 or 弃权), %(count)d in all.",
                    n=number,
                    count=unit_count,
                )
            )
        ballots.append([_WORD_TO_MARK[w] for w in words])
    return ballots


def enter_paper_ballots(session: AppraisalSession, member_ids: list[int], text: str, actor_id: int) -> int:
    """Paper ballots from the box, entered as anonymous sealed ballots; the members who handed
    one in are marked as voted, without saying which ballot is whose. Returns how many."""
    if session.state not in (SessionState.open, SessionState.closed):
        raise AppraisalError(
            _l("Paper ballots can be entered only while the session is open or closed but not yet counted.")
        )
    ballots = parse_paper_ballots(text, len(session.units))
    member_ids = sorted(set(member_ids))
    if not ballots or len(ballots) != len(member_ids):
        raise AppraisalError(_l("Enter one paper ballot for each member ticked as having voted on paper."))
    if _flip_roll(session.id, member_ids) != len(member_ids):
        raise AppraisalError(_l("Some of the ticked members are not on the roll or have already voted."))
    random.SystemRandom().shuffle(ballots)
    for marks in ballots:
        db.session.add(SealedBallot(session_id=session.id, sealed=ballot.seal(session.public_key, marks)))
    session.paper_ballots += len(ballots)
    _event(session, SessionEventKind.paper_entered, actor_id, note=str(len(ballots)))
    db.session.flush()
    return len(ballots)


def close_session(session: AppraisalSession, actor_id: int | None) -> None:
    if session.state is not SessionState.open:
        raise AppraisalError(_l("Only an open session can be closed."))
    session.state = SessionState.closed
    session.closed_at = utcnow()
    _event(session, SessionEventKind.closed, actor_id)
    db.session.flush()


@dataclass(frozen=True)
class Turnout:
    roll: int
    voted: int
    ballots: int
    paper: int

    @property
    def share(self) -> float | None:
        return self.voted / self.roll if self.roll else None


def turnout(session: AppraisalSession) -> Turnout:
    roll, voted = db.session.execute(
        select(func.count(), func.count().filter(RollEntry.has_voted.is_(True))).where(
            RollEntry.session_id == session.id
        )
    ).one()
    return Turnout(roll=roll, voted=voted or 0, ballots=ballot_count(session), paper=session.paper_ballots)


def quorum_met(session: AppraisalSession) -> bool:
    t = turnout(session)
    return ballot.quorum_met(t.voted, t.roll, session.quorum_numerator, session.quorum_denominator)


def count_ballots(session: AppraisalSession, key_text: str, actor_id: int | None) -> list[UnitResult]:
    """The tellers' key opens the ballots in memory; only the counts per unit are stored. The
    key is not kept. Then the ballots are written anew in random order with fresh ids, and the
    roll rows rewritten together, so neither the storage order nor PostgreSQL's per-row
    transaction ids (xmin) any longer tell which ballot came with which roll flag."""
    if effective_state(session) is SessionState.open:
        raise ResultsHidden(HIDDEN_MESSAGE)
    if session.state is SessionState.counted:
        raise AppraisalError(_l("The ballots of this session have already been counted."))
    if not quorum_met(session):
        raise ResultsHidden(_l("The quorum was not met: the ballots cannot be counted."))
    try:
        private = ballot.parse_key(key_text)
    except ballot.BallotError:
        raise AppraisalError(_l("This is not a ballot key: check the file or the code you typed."))
    if not ballot.key_matches(private, session.public_key):
        raise AppraisalError(_l("This key does not belong to this session."))
    units = list(session.units)
    counts = [ballot.Count() for _ in units]
    sealed = list(db.session.scalars(select(SealedBallot.sealed).where(SealedBallot.session_id == session.id)))
    try:
        for ciphertext in sealed:
            for count, mark in zip(counts, ballot.open_sealed(private, ciphertext, len(units))):
                count.add(mark)
    except ballot.BallotError:
        raise AppraisalError(_l("A ballot does not open with this key; nothing was counted."))
    del private
    results = []
    for su, count in zip(units, counts):
        result = UnitResult(
            session_id=session.id,
            cycle_unit_id=su.cycle_unit_id,
            position=su.position,
            satisfied=count.satisfied,
            basic=count.basic,
            dissatisfied=count.dissatisfied,
            abstained=count.abstained,
            grade=ballot.grade_by_rule(count, session.satisfied_percent, session.basic_percent),
        )
        db.session.add(result)
        results.append(result)
    _reshuffle(session, sealed)
    if session.state is SessionState.open:
        session.closed_at = session.closes_at
    session.state = SessionState.counted
    session.counted_at = utcnow()
    session.counted_ballots = len(sealed)
    _event(session, SessionEventKind.counted, actor_id, note=str(len(sealed)))
    db.session.flush()
    return results


def _reshuffle(session: AppraisalSession, sealed: list[bytes]) -> None:
    random.SystemRandom().shuffle(sealed)
    db.session.execute(delete(SealedBallot).where(SealedBallot.session_id == session.id))
    for ciphertext in sealed:
        db.session.add(SealedBallot(session_id=session.id, sealed=ciphertext))
    db.session.execute(
        update(RollEntry)
        .where(RollEntry.session_id == session.id)
        .values(has_voted=RollEntry.has_voted)
        .execution_options(synchronize_session=False)
    )


def results_of(session: AppraisalSession) -> list[UnitResult]:
    """The counts, once the session is counted; before, ResultsHidden for everyone."""
    if session.state is not SessionState.counted:
        raise ResultsHidden(HIDDEN_MESSAGE)
    return list(session.results)


def receipt_codes(session: AppraisalSession) -> list[str]:
    """The receipts, published to the voters after the close, in alphabetical order."""
    if effective_state(session) in (SessionState.draft, SessionState.open):
        raise ResultsHidden(HIDDEN_MESSAGE)
    return sorted(db.session.scalars(select(BallotReceipt.code).where(BallotReceipt.session_id == session.id)))


def roll_of(session: AppraisalSession) -> list[RollEntry]:
    return list(
        db.session.scalars(
            select(RollEntry)
            .join(User, User.id == RollEntry.user_id)
            .where(RollEntry.session_id == session.id)
            .order_by(User.display_name, User.id)
        )
    )
