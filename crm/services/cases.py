"""Work on complaints and hotline tickets: responses and progress notes."""

from flask_babel import gettext as _

from crm.database import write_transaction
from crm.extensions import db
from crm.models import CaseNote, Complaint, HotlineTicket
from crm.clock import now
from crm.models.choices import WRITTEN_NOTE_KINDS, NoteKind
from crm.services.errors import ServiceError
from crm.text import UNSTORABLE_MESSAGE, holds_unstorable

MAX_NOTE_LENGTH = 4000
def refuse_control_characters(*texts: str | None) -> None:
    """A note's or a step's text is held to the forms' rule (crm.text): a NUL failed the save
    on PostgreSQL."""
    if holds_unstorable(*texts):
        raise ServiceError(str(UNSTORABLE_MESSAGE))


def add_note(case: Complaint | HotlineTicket, author, kind: str, body: str) -> CaseNote:
    """A response is shown to the customer; a progress note stays internal."""
    text = (body or "").strip()
    if not text:
        raise ServiceError(_("Write the response or note first."))
    if len(text) > MAX_NOTE_LENGTH:
        raise ServiceError(_("Keep it under %(n)d characters.", n=MAX_NOTE_LENGTH))
    if kind not in WRITTEN_NOTE_KINDS:
        raise ServiceError(_("Choose whether this is a response or a progress note."))
    refuse_control_characters(text)
    note = CaseNote(kind=kind, public=kind == NoteKind.RESPONSE.value, body=text, author_id=author.id)
    with write_transaction():
        case.notes.append(note)
        if note.public and case.first_response_at is None:
            case.first_response_at = now()  # answering the customer is the first response
        db.session.commit()
    return note
