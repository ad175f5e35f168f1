"""Unexpected failures: logged with their traceback under a short reference that the user
is shown, on the error page or in the back office's message."""
import secrets

from flask import current_app, request


def log_failure(error) -> str:
    """Log an unexpected failure under a short reference that the user is shown: they
    quote it to support, who find the traceback in the log; the browser gets none of it
    (no traceback, SQL or setting)."""
    reference = secrets.token_hex(4).upper()
    original = getattr(error, "original_exception", None) or error
    current_app.logger.error("Failure %s on %s %s", reference, request.method, request.path,
                             exc_info=(type(original), original, original.__traceback__))
    return reference
