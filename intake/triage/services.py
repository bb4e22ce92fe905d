"""The staff queue and the write operations of triage: filters, counts, keyset pages, search;
assignment, notes, merging duplicates, bulk actions, saved views, the reporter's identity
(every view audited) and replies to the reporter.

Services take plain values and ids and flush; the request or job commits."""
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, exists, func, select, tuple_
from sqlalchemy.orm import selectinload

from intake.auth.models import Role, User
from intake.extensions import db
from intake.feedback import services as feedback_services
from intake.feedback.models import (
    Attachment,
    Event,
    EventKind,
    FeedbackItem,
    ItemStatus,
    Priority,
    Source,
)
from intake.mailbox import outgoing
from intake.timeutil import utcnow
from intake.triage import search
from intake.triage.models import ItemSuggestion, ReplyState, ReplyTemplate, SavedView, StaffReply

FINAL_STATUSES = [s for s in ItemStatus if s.is_final]
# Counting stops here: at a million rows an exact count per filter costs more than the page.
# Beyond this, counts read "1000+". Counting the newest rows first lets PostgreSQL walk the
# keyset index and stop early; exact counts of 100,000 open items cost more than the page.
COUNT_CAP = 1_000
SEARCH_COUNT_CAP = 1_000


class TriageError(ValueError):
    """A triage action that cannot be done (unknown user, final item, no address...)."""


# --- the queue -------------------------------------------------------------------------------

@dataclass
class QueueFilter:
    status: str | None = None  # None: open items; "all": everything; else one status value
    unit_id: int | None = None
    category_id: int | None = None
    source: str | None = None
    # Mail no person wrote (auto-replies, bounces, lists): False hides it (the default),
    # True shows only it, None shows everything.
    is_auto: bool | None = False
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    assignee_id: int | None = None
    unassigned: bool = False
    priority: str | None = None
    overdue: bool = False
    has_attachment: bool = False
    flagged: bool = False
    q: str | None = None


@dataclass(frozen=True)
class Cursor:
    """A position in the queue's order (received_at desc, id desc)."""

    received_at: datetime
    id: int

    def encode(self) -> str:
        return f"{self.received_at.isoformat()}_{self.id}"

    @classmethod
    def decode(cls, value: str | None) -> "Cursor | None":
        if not value:
            return None
        try:
            stamp, _, item_id = value.rpartition("_")
            return cls(datetime.fromisoformat(stamp), int(item_id))
        except ValueError:
            return None


@dataclass
class Page:
    items: list[FeedbackItem]
    next_cursor: Cursor | None = None
    prev_cursor: Cursor | None = None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_prev(self) -> bool:
        return self.prev_cursor is not None


@dataclass
class Counts:
    """How many items match, and per value of each filter within them (capped)."""

    total: int = 0
    capped: bool = False
    by: dict[str, dict] = field(default_factory=dict)


def _today() -> date:
    return utcnow().date()


def _filtered(query: Select, f: QueueFilter) -> Select:
    if f.status is None:
        query = query.where(FeedbackItem.status.not_in(FINAL_STATUSES))
    elif f.status != "all":
        query = query.where(FeedbackItem.status == ItemStatus(f.status))
    if f.unit_id:
        query = query.where(FeedbackItem.unit_id == f.unit_id)
    if f.category_id:
        query = query.where(FeedbackItem.category_id == f.category_id)
    if f.source:
        query = query.where(FeedbackItem.source == Source(f.source))
    if f.is_auto is not None:
        query = query.where(FeedbackItem.is_auto.is_(f.is_auto))
    if f.date_from:
        query = query.where(FeedbackItem.received_at >= datetime.combine(f.date_from, time.min))
    if f.date_to:
        query = query.where(FeedbackItem.received_at < datetime.combine(f.date_to + timedelta(days=1), time.min))
    if f.unassigned:
        query = query.where(FeedbackItem.assignee_id.is_(None))
    elif f.assignee_id:
        query = query.where(FeedbackItem.assignee_id == f.assignee_id)
    if f.priority:
        query = query.where(FeedbackItem.priority == Priority(f.priority))
    if f.has_attachment:
        query = query.where(exists().where(Attachment.item_id == FeedbackItem.id))
    if f.flagged:
        query = query.where(exists().where(ItemSuggestion.item_id == FeedbackItem.id, ItemSuggestion.is_flagged.is_(True)))
    if f.overdue:
        from intake.rectification.models import RectificationTask, TaskStatus, task_items

        query = query.where(exists().where(
            task_items.c.item_id == FeedbackItem.id,
            RectificationTask.id == task_items.c.task_id,
            RectificationTask.status != TaskStatus.closed,
            RectificationTask.deadline < _today(),
        ))
    if f.q:
        condition = search.search_condition(f.q)
        if condition is not None:
            query = query.where(condition)
    return query


def queue_page(f: QueueFilter, per_page: int, after: Cursor | None = None, before: Cursor | None = None) -> Page:
    """One page of the queue, newest first, after (or before) a cursor: keyset pagination, so a
    deep page costs what the first does and new arrivals do not shift what staff are reading."""
    key = tuple_(FeedbackItem.received_at, FeedbackItem.id)
    query = _filtered(select(FeedbackItem), f).options(
        selectinload(FeedbackItem.unit), selectinload(FeedbackItem.category),
        selectinload(FeedbackItem.assignee), selectinload(FeedbackItem.suggestion),
    )
    if before is not None:
        query = query.where(key > tuple_(before.received_at, before.id)).order_by(
            FeedbackItem.received_at.asc(), FeedbackItem.id.asc())
    else:
        if after is not None:
            query = query.where(key < tuple_(after.received_at, after.id))
        query = query.order_by(FeedbackItem.received_at.desc(), FeedbackItem.id.desc())
    rows = list(db.session.scalars(query.limit(per_page + 1)))
    more = len(rows) > per_page
    rows = rows[:per_page]
    if before is not None:
        rows.reverse()
    page = Page(items=rows)
    if rows:
        first, last = rows[0], rows[-1]
        if (before is None and more) or before is not None:
            page.next_cursor = Cursor(last.received_at, last.id)
        if after is not None or (before is not None and more):
            page.prev_cursor = Cursor(first.received_at, first.id)
    return page


FACETS = ("status", "unit_id", "category_id", "source", "priority")


def queue_counts(f: QueueFilter, cap: int | None = None) -> Counts:
    """The number of matching items and, within them, per status, unit, category, source and
    priority, in one grouped query over at most `cap` rows (beyond that, counts say "at least")."""
    if cap is None:
        cap = SEARCH_COUNT_CAP if f.q else COUNT_CAP
    columns = [getattr(FeedbackItem, name) for name in FACETS]
    capped_rows = (_filtered(select(*columns), f)
                   .order_by(FeedbackItem.received_at.desc(), FeedbackItem.id.desc())
                   .limit(cap + 1).subquery())
    grouped = db.session.execute(
        select(*[capped_rows.c[name] for name in FACETS], func.count())
        .group_by(*[capped_rows.c[name] for name in FACETS])
    ).all()
    counts = Counts(by={name: {} for name in FACETS})
    for row in grouped:
        n = row[-1]
        counts.total += n
        for name, value in zip(FACETS, row[:-1]):
            value = getattr(value, "value", value)
            counts.by[name][value] = counts.by[name].get(value, 0) + n
    counts.capped = counts.total > cap
    counts.total = min(counts.total, cap)
    return counts


def staff_users() -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.role.in_((Role.admin, Role.staff)), User.is_active_account.is_(True))
        .order_by(User.display_name)
    ))


# --- saved views -------------------------------------------------------------------------------

def saved_views(user_id: int) -> list[SavedView]:
    return list(db.session.scalars(select(SavedView).where(SavedView.user_id == user_id).order_by(SavedView.name)))


def save_view(user_id: int, name: str, query: str) -> SavedView:
    name = name.strip()[:100]
    if not name:
        raise TriageError("a view needs a name")
    view = db.session.scalar(select(SavedView).where(SavedView.user_id == user_id, SavedView.name == name))
    if view is None:
        view = SavedView(user_id=user_id, name=name, query="")
        db.session.add(view)
    view.query = query[:2000]
    db.session.flush()
    return view


def delete_view(user_id: int, view_id: int) -> None:
    view = db.session.get(SavedView, view_id)
    if view is None or view.user_id != user_id:
        raise TriageError("no such view")
    db.session.delete(view)
    db.session.flush()


# --- one item ------------------------------------------------------------------------------------

def assign_item(item: FeedbackItem, assignee_id: int | None, actor_id: int) -> Event | None:
    """Give the item to a staff member (None: nobody); an event when it changes."""
    if assignee_id is not None:
        user = db.session.get(User, assignee_id)
        if user is None or not user.is_staff or not user.is_active_account:
            raise TriageError("not a staff account")
    if item.assignee_id == assignee_id:
        return None
    event = Event(kind=EventKind.assigned, actor_id=actor_id,
                  from_value=str(item.assignee_id) if item.assignee_id else None,
                  to_value=str(assignee_id) if assignee_id else None,
                  note=user.display_name if assignee_id is not None else None)
    item.assignee_id = assignee_id
    item.events.append(event)
    db.session.flush()
    return event


def add_note(item: FeedbackItem, text: str, actor_id: int) -> Event:
    """An internal note: staff only, never shown to the reporter or the unit."""
    text = (text or "").strip()
    if not text:
        raise TriageError("empty note")
    event = Event(kind=EventKind.note, actor_id=actor_id, note=text[:4000])
    item.events.append(event)
    db.session.flush()
    return event


def record_identity_view(item: FeedbackItem, actor_id: int) -> Event:
    """Staff opened the reporter's contact details: 权益保障 means every look is on record."""
    event = Event(kind=EventKind.identity_viewed, actor_id=actor_id)
    item.events.append(event)
    db.session.flush()
    return event


def merge_duplicates(primary_id: int, duplicate_ids: list[int], actor_id: int) -> list[FeedbackItem]:
    """Merge reports about the same problem into `primary_id`: each duplicate moves to status
    重复 pointing at the primary; its reporter keeps their own tracking code and the public
    status page shows the primary's outcome. An event on every item involved."""
    primary = db.session.get(FeedbackItem, primary_id)
    if primary is None:
        raise TriageError("unknown primary")
    if primary.duplicate_of_id is not None:
        primary = primary.duplicate_of  # merging into a merged item means into its primary
    merged = []
    for item_id in dict.fromkeys(duplicate_ids):
        item = db.session.get(FeedbackItem, item_id)
        if item is None or item.id == primary.id:
            continue
        if ItemStatus.duplicate not in feedback_services.ALLOWED_TRANSITIONS[item.status]:
            raise TriageError(f"{item.tracking_code} cannot be marked duplicate from {item.status.value}")
        feedback_services.change_status(item, ItemStatus.duplicate, actor_id=actor_id, note=primary.tracking_code)
        item.duplicate_of_id = primary.id
        item.events.append(Event(kind=EventKind.merged, actor_id=actor_id, to_value=primary.tracking_code))
        # Items merged into this one before follow it to the new primary.
        for earlier in db.session.scalars(select(FeedbackItem).where(FeedbackItem.duplicate_of_id == item.id)):
            earlier.duplicate_of_id = primary.id
        primary.events.append(Event(kind=EventKind.merged, actor_id=actor_id, from_value=item.tracking_code))
        merged.append(item)
    if not merged:
        raise TriageError("nothing to merge")
    db.session.flush()
    return merged


def merged_into(item: FeedbackItem) -> list[FeedbackItem]:
    return list(db.session.scalars(
        select(FeedbackItem).where(FeedbackItem.duplicate_of_id == item.id).order_by(FeedbackItem.id)))


# --- bulk actions ----------------------------------------------------------------------------------

BULK_ACTIONS = ("assign", "unit", "category", "invalid", "route")


@dataclass
class BulkResult:
    done: int = 0
    skipped: list[str] = field(default_factory=list)  # tracking codes left as they were


def bulk_apply(item_ids: list[int], action: str, actor_id: int, *, assignee_id: int | None = None,
               unit_id: int | None = None, category_id: int | None = None, problem: str | None = None,
               requirement: str | None = None) -> BulkResult:
    """One action on a selection of items. Items the action does not fit (e.g. a final item
    marked invalid) are skipped and named; routing puts them all in one rectification task."""
    from intake.triage import suggestions

    items = list(db.session.scalars(select(FeedbackItem).where(FeedbackItem.id.in_(item_ids)).order_by(FeedbackItem.id)))
    result = BulkResult()
    if action == "route":
        from intake.rectification import services as rectification

        if not unit_id:
            raise TriageError("a unit is needed to route")
        routable = [i for i in items if not i.status.is_final]
        result.skipped = [i.tracking_code for i in items if i.status.is_final]
        if routable:
            try:
                rectification.route_items_to_unit([i.id for i in routable], unit_id, problem, requirement, actor_id)
            except rectification.RectificationError as exc:
                raise TriageError(str(exc)) from exc
        result.done = len(routable)
        return result
    for item in items:
        if action == "assign":
            assign_item(item, assignee_id, actor_id)
        elif action == "unit" and unit_id:
            suggestions.set_classification(item, actor_id, unit_id=unit_id)
        elif action == "category" and category_id:
            suggestions.set_classification(item, actor_id, category_id=category_id)
        elif action == "invalid" and ItemStatus.invalid in feedback_services.ALLOWED_TRANSITIONS[item.status]:
            feedback_services.change_status(item, ItemStatus.invalid, actor_id=actor_id, note=problem)
        else:
            result.skipped.append(item.tracking_code)
            continue
        result.done += 1
    db.session.flush()
    return result


# --- replies to the reporter ----------------------------------------------------------------------

DEFAULT_TEMPLATES = [
    # code, name, subject, body. Placeholders: {code} tracking code, {subject} the report's title,
    # {lookup_url} the status page. Admins edit the text in the UI.
    ("acceptance", "受理告知", "您的反映已受理",
     "您好：\n\n您于政协民主监督邮箱反映的“{subject}”（编号 {code}）已经受理。我们将转交相关单位办理，"
     "办理情况会及时告知您。\n\n查询进度：{lookup_url}\n\n县政协民主监督办公室"),
    ("rejection", "不予受理说明", "关于您的反映的说明",
     "您好：\n\n您反映的“{subject}”（编号 {code}）经审核不属于本次民主监督的受理范围，不予受理。"
     "建议您向有关部门反映。感谢您对民主监督工作的支持。\n\n县政协民主监督办公室"),
    ("closure", "办结答复", "您的反映已办结",
     "您好：\n\n您反映的“{subject}”（编号 {code}）已办理完毕。办理结果请见：{lookup_url}\n"
     "欢迎您对办理结果进行评价。\n\n县政协民主监督办公室"),
]


def reply_templates() -> list[ReplyTemplate]:
    """The templates, the default ones written on first use."""
    existing = {t.code for t in db.session.scalars(select(ReplyTemplate))}
    for order, (code, name, subject, body) in enumerate(DEFAULT_TEMPLATES):
        if code not in existing:
            db.session.add(ReplyTemplate(code=code, name=name, subject=subject, body=body, sort_order=order))
    db.session.flush()
    return list(db.session.scalars(select(ReplyTemplate).order_by(ReplyTemplate.sort_order, ReplyTemplate.id)))


def update_template(template_id: int, name: str, subject: str, body: str, actor_id: int) -> ReplyTemplate:
    template = db.session.get(ReplyTemplate, template_id)
    if template is None:
        raise TriageError("unknown template")
    template.name, template.subject, template.body = name.strip()[:100], subject.strip()[:300], body.strip()
    template.updated_by_id = actor_id
    db.session.flush()
    return template


class _Blank(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def fill_template(template: ReplyTemplate, item: FeedbackItem, lookup_url: str) -> tuple[str, str]:
    values = _Blank(code=item.tracking_code, subject=item.subject, lookup_url=lookup_url)
    return template.subject.format_map(values), template.body.format_map(values)


def queue_reply(item: FeedbackItem, actor_id: int, subject: str, body: str, template_code: str | None = None) -> StaffReply:
    """A reply to the reporter, stored with its own Message-ID; the caller commits and then
    enqueues the sending job."""
    reporter = item.reporter
    if reporter is None or not reporter.email:
        raise TriageError("the reporter left no mail address")
    body = (body or "").strip()
    if not body or not (subject or "").strip():
        raise TriageError("subject and text are needed")
    reply = StaffReply(
        item_id=item.id, author_id=actor_id, template_code=template_code or None, to_addr=reporter.email,
        subject=outgoing.subject_with_code(item.tracking_code, subject), body=body, state=ReplyState.queued,
        message_id=outgoing.new_message_id(item.tracking_code),
    )
    db.session.add(reply)
    item.events.append(Event(kind=EventKind.reply_queued, actor_id=actor_id, note=reply.subject))
    db.session.flush()
    return reply


def mark_reply_sent(reply: StaffReply) -> None:
    reply.state = ReplyState.sent
    reply.sent_at = utcnow()
    reply.item.events.append(Event(kind=EventKind.reply_sent, actor_id=reply.author_id, note=reply.message_id))
    db.session.flush()


def queued_reply_ids() -> list[int]:
    """Replies not sent yet (a handful at most: the sweeper checks each against Redis)."""
    return list(db.session.scalars(select(StaffReply.id).where(StaffReply.state == ReplyState.queued)
                                   .order_by(StaffReply.id).limit(1000)))


def resend_reply(item: FeedbackItem, reply_id: int, actor_id: int) -> StaffReply:
    """Staff send a reply again whose sending failed; the caller commits, then enqueues."""
    reply = db.session.get(StaffReply, reply_id)
    if reply is None or reply.item_id != item.id:
        raise TriageError("no such reply")
    if reply.state is not ReplyState.queued:
        raise TriageError("already sent")
    item.events.append(Event(kind=EventKind.reply_queued, actor_id=actor_id, note=reply.subject))
    db.session.flush()
    return reply


def replies_of(item: FeedbackItem) -> list[StaffReply]:
    return list(db.session.scalars(select(StaffReply).where(StaffReply.item_id == item.id).order_by(StaffReply.id)))


def thread_of(item: FeedbackItem):
    """The mail thread of an item, inbound and outbound, in order."""
    from intake.mailbox.models import ThreadEntry

    return list(db.session.scalars(
        select(ThreadEntry).where(ThreadEntry.item_id == item.id).order_by(ThreadEntry.created_at, ThreadEntry.id)))


def filter_from_dict(values: dict) -> QueueFilter:
    """A QueueFilter from plain values (e.g. a saved view), unknown keys ignored."""
    names = {f.name for f in fields(QueueFilter)}
    return replace(QueueFilter(), **{k: v for k, v in values.items() if k in names})

