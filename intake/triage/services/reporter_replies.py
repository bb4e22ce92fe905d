"""Replies to the reporter: templates, the reply queued with its own Message-ID, sent, resent;
the item's mail thread."""

import secrets

from sqlalchemy import select

from intake.extensions import db
from intake.feedback.models import Event, EventKind, FeedbackItem
from intake.mailbox import outgoing
from intake.timeutil import utcnow
from intake.triage.models import ReplyState, ReplyTemplate, StaffReply
from intake.triage.services import TriageError

DEFAULT_TEMPLATES = [
    # code, name, subject, body. Placeholders: {code} tracking code, {subject} the report's title,
    # {lookup_url} the status page. Admins edit the text in the UI.
    (
        "acceptance",
        "受理告知",
        "您的反映已受理",
        "您好：\n\n您于政协民主监督邮箱反映的“{subject}”（编号 {code}）已经受理。我们将转交相关单位办理，"
        "办理情况会及时告知您。\n\n查询进度：{lookup_url}\n\n县政协民主监督办公室",
    ),
    (
        "rejection",
        "不予受理说明",
        "关于您的反映的说明",
        "您好：\n\n您反映的“{subject}”（编号 {code}）经审核不属于本次民主监督的受理范围，不予受理。"
        "建议您向有关部门反映。感谢您对民主监督工作的支持。\n\n县政协民主监督办公室",
    ),
    (
        "closure",
        "办结答复",
        "您的反映已办结",
        "您好：\n\n您反映的“{subject}”（编号 {code}）已办理完毕。办理结果请见：{lookup_url}\n"
        "欢迎您对办理结果进行评价。\n\n县政协民主监督办公室",
    ),
]


def reply_templates() -> list[ReplyTemplate]:
    """The templates: those stored, and the default ones not yet edited (unsaved: reading the
    templates writes nothing)."""
    stored = {t.code: t for t in db.session.scalars(select(ReplyTemplate))}
    defaults = [
        stored.get(code) or ReplyTemplate(code=code, name=name, subject=subject, body=body, sort_order=order)
        for order, (code, name, subject, body) in enumerate(DEFAULT_TEMPLATES)
    ]
    default_codes = {code for code, *_rest in DEFAULT_TEMPLATES}
    others = sorted((t for t in stored.values() if t.code not in default_codes), key=lambda t: (t.sort_order, t.id))
    return sorted(defaults, key=lambda t: t.sort_order) + others


def update_template(code: str, name: str, subject: str, body: str, actor_id: int) -> ReplyTemplate:
    """Save a template (a default one is stored on its first edit)."""
    template = next((t for t in reply_templates() if t.code == code), None)
    if template is None:
        raise TriageError("unknown template")
    template.name, template.subject, template.body = name.strip()[:100], subject.strip()[:300], body.strip()
    template.updated_by_id = actor_id
    db.session.add(template)
    db.session.flush()
    return template


def add_template(name: str, subject: str, body: str, actor_id: int) -> ReplyTemplate:
    """A new template after the others, under a generated code (staff pick it by its name)."""
    last = max((t.sort_order for t in reply_templates()), default=0)
    template = ReplyTemplate(code=f"custom-{secrets.token_hex(4)}", sort_order=last + 1)
    template.name, template.subject, template.body = name.strip()[:100], subject.strip()[:300], body.strip()
    template.updated_by_id = actor_id
    db.session.add(template)
    db.session.flush()
    return template


class _Blank(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def fill_template(template: ReplyTemplate, item: FeedbackItem, lookup_url: str) -> tuple[str, str]:
    values = _Blank(code=item.tracking_code, subject=item.subject, lookup_url=lookup_url)
    return template.subject.format_map(values), template.body.format_map(values)


def queue_reply(
    item: FeedbackItem, actor_id: int, subject: str, body: str, template_code: str | None = None
) -> StaffReply:
    """A reply to the reporter, stored with its own Message-ID; the caller commits and then
    enqueues the sending job."""
    reporter = item.reporter
    if reporter is None or not reporter.email:
        raise TriageError("the reporter left no mail address")
    body = (body or "").strip()
    if not body or not (subject or "").strip():
        raise TriageError("subject and text are needed")
    reply = StaffReply(
        item_id=item.id,
        author_id=actor_id,
        template_code=template_code or None,
        to_addr=reporter.email,
        subject=outgoing.subject_with_code(item.tracking_code, subject),
        body=body,
        state=ReplyState.queued,
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
    return list(
        db.session.scalars(
            select(StaffReply.id).where(StaffReply.state == ReplyState.queued).order_by(StaffReply.id).limit(1000)
        )
    )


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


def sent_replies(item: FeedbackItem) -> list[StaffReply]:
    """The replies the reporter was sent, for their progress page: never queued ones (not
    sent yet) and never internal notes (those are Events, not replies)."""
    return list(
        db.session.scalars(
            select(StaffReply)
            .where(StaffReply.item_id == item.id, StaffReply.state == ReplyState.sent)
            .order_by(StaffReply.sent_at, StaffReply.id)
        )
    )


def thread_of(item: FeedbackItem):
    """The mail thread of an item, inbound and outbound, in order."""
    from intake.mailbox.models import ThreadEntry

    return list(
        db.session.scalars(
            select(ThreadEntry).where(ThreadEntry.item_id == item.id).order_by(ThreadEntry.created_at, ThreadEntry.id)
        )
    )
