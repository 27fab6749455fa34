"""Sending email: one place that turns a mail server that is down or refuses into a domain
error (`MailNotSent`) the caller can report truthfully, instead of a 500."""

from __future__ import annotations

import logging
import smtplib

from django.core.mail import EmailMessage

from apps.core.errors import BacklotError

logger = logging.getLogger(__name__)

# What a mail backend raises when the server is unreachable, times out or refuses.
MAIL_ERRORS: tuple[type[Exception], ...] = (OSError, smtplib.SMTPException)


class MailNotSent(BacklotError):
    status_code = 503
    code = "mail_unavailable"


def mail_send(message: EmailMessage) -> None:
    """Send now; raises MailNotSent (logged, without the recipient's address) on failure."""
    try:
        message.send()
    except MAIL_ERRORS as error:
        logger.warning("could not send email %r: %s", message.subject, type(error).__name__)
        raise MailNotSent(
            "The email could not be sent: the mail server is not reachable right now."
        ) from error
