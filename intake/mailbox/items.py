"""From parsed mail to items: the submission (with uploads) a new report makes, the thread entry a
message adds, the item a reply belongs to, and what the parse found, on the message's row."""

import hashlib
import io

from sqlalchemy import select

from intake.extensions import db
from intake.feedback import services as feedback_services
from intake.feedback.models import SUBJECT_LENGTH, FeedbackItem, Source
from intake.mailbox.decoding.parsed import ParsedMessage
from intake.mailbox.models import Direction, InboundMessage, InboundState, ThreadEntry
from intake.mailbox.replies import find_tracking_code, strip_subject_prefixes
from intake.mailbox.services import _cut
from intake.timeutil import utcnow

NO_SUBJECT = "—"


def content_digest(parsed: ParsedMessage) -> str:
    """What the sender wrote, without transport headers: the same message relayed twice with
    different Received lines has the same digest."""
    digest = hashlib.sha256()
    for part in (parsed.from_addr or "", parsed.subject or "", parsed.text or "", parsed.html or ""):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    for attachment in sorted(hashlib.sha256(a.payload).hexdigest() for a in parsed.attachments):
        digest.update(attachment.encode())
    return digest.hexdigest()


def _describe_parsed(row: InboundMessage, parsed: ParsedMessage) -> None:
    """What the parse found, on the message's row (lists and dedupe read it there)."""
    row.message_id = _cut(parsed.message_id, 998)
    row.subject = _cut(parsed.subject, SUBJECT_LENGTH)
    row.from_addr = _cut(parsed.from_addr.lower() if parsed.from_addr else None, 254)
    row.is_auto = parsed.is_auto
    row.auto_reason = _cut(parsed.auto_reason, 32)
    row.charset = _cut(parsed.charset, 32)
    row.lossy = parsed.lossy
    row.content_sha256 = content_digest(parsed)


def _thread_entry(row: InboundMessage, parsed: ParsedMessage, item_id: int, new_text: str, quoted: str) -> dict:
    return dict(
        item_id=item_id,
        direction=Direction.inbound,
        inbound_message_id=row.id,
        message_id=row.message_id,
        sender=row.from_addr,
        subject=row.subject,
        text=new_text or "",
        quoted_text=quoted or None,
        html=parsed.html,
        is_auto=parsed.is_auto,
        created_at=utcnow(),
    )


def _mark_parsed(row: InboundMessage, item_id: int) -> None:
    row.state = InboundState.parsed
    row.item_id = item_id
    row.processed_at = utcnow()
    row.error = None


def submission_from(parsed: ParsedMessage) -> feedback_services.SubmissionInput:
    subject = strip_subject_prefixes(parsed.subject).strip()
    body = parsed.text.strip() or subject or NO_SUBJECT
    reporter = None
    if parsed.from_addr:
        reporter = feedback_services.ReporterInput(name=_cut(parsed.from_name, 100), email=_cut(parsed.from_addr, 254))
    return feedback_services.SubmissionInput(
        source=Source.email,
        subject=_cut(subject, SUBJECT_LENGTH) or None,
        body=body,
        reporter=reporter,
        uploads=_uploads_from(parsed),
        is_auto=parsed.is_auto,
    )


def _uploads_from(parsed: ParsedMessage) -> list[feedback_services.UploadInput]:
    return [
        feedback_services.UploadInput(
            filename=_cut(a.filename, 255) or "attachment",
            content_type=_cut(a.content_type, 127) or "application/octet-stream",
            stream=io.BytesIO(a.payload),
            is_inline=a.is_inline,
            content_id=_cut(a.content_id, 998),
        )
        for a in parsed.attachments
    ]


def find_thread_item(parsed: ParsedMessage, tracking_prefix: str) -> FeedbackItem | None:
    """The item a reply belongs to: by In-Reply-To / References against every stored inbound
    and outbound Message-ID (most recent reference first), then by the tracking code in the
    subject."""
    references = [r for r in ([parsed.in_reply_to] + list(reversed(parsed.references))) if r]
    if references:
        found = db.session.execute(
            select(ThreadEntry.message_id, ThreadEntry.item_id).where(ThreadEntry.message_id.in_(references))
        ).all()
        by_id = {message_id: item_id for message_id, item_id in found}
        for reference in references:
            if reference in by_id:
                return db.session.get(FeedbackItem, by_id[reference])
    code = find_tracking_code(parsed.subject, tracking_prefix)
    if code:
        return db.session.scalar(select(FeedbackItem).where(FeedbackItem.tracking_code == code))
    return None
