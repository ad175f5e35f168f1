"""Work on complaints and hotline tickets: responses and progress notes."""
import re

from flask_babel import gettext as _

from crm.database import write_transaction
from crm.extensions import db
from crm.models import CaseNote, Complaint, HotlineTicket
from crm.clock import now
from crm.models.choices import WRITTEN_NOTE_KINDS, NoteKind
from crm.services.errors import ServiceError

MAX_NOTE_LENGTH = 4000
# What no text typed on a case's page may hold: PostgreSQL refuses NUL in text (the save
# failed with a server error), and the back-office forms refuse the other control
# characters too (forms/base.py), so a note or a step's text is held to the same rule.
UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def refuse_control_characters(*texts: str | None) -> None:
    if any(text and UNSTORABLE.search(text) for text in texts):
        raise ServiceError(_("Remove the control characters from this field; they cannot be stored."))


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
