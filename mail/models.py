from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SentMail(models.Model):
    """A mail of a task run (`<task id>/<number>`), marked before it is handed to the mail server
    and sent once the server accepted it: a redelivered task (its worker died before
    acknowledging) skips what was sent, and never repeats a mail whose hand-over it cannot
    know the end of (`sent_at` empty). Rows from before carry the task id alone."""

    task_id = models.CharField(max_length=64, unique=True)
    started_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "tickets_sentmail"
        verbose_name = _("sent mail")
        verbose_name_plural = _("sent mail")

    def __str__(self) -> str:
        return self.task_id


# The error of a task whose worker died while handing a mail over (mail.services).
HANDOVER_UNCERTAIN = "MailHandoverUncertain"
BROKER_UNAVAILABLE = "BrokerUnavailable"


class FailedMail(models.Model):
    """A mail task that gave up: an error no retry cures (a bug such as a TypeError) at once, a
    mail server that stayed away after every retry. Staff see it in the admin and send it again.

    It keeps the task's name, its arguments when they are all ids (None otherwise: never an
    address or a text, which a customer's deletion request could not find here) and the error's
    class: an SMTP server's message may quote the recipient, so it is not stored."""

    task_name = models.CharField(_("task"), max_length=200)
    task_id = models.CharField(_("task id"), max_length=64, unique=True)
    arguments = models.JSONField(_("arguments"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=200)
    retries = models.PositiveIntegerField(_("retries"), default=0)
    failed_at = models.DateTimeField(_("failed at"), auto_now_add=True)
    resent_at = models.DateTimeField(_("sent again at"), null=True, blank=True)

    class Meta:
        ordering = ["-failed_at"]
        verbose_name = _("failed mail")
        verbose_name_plural = _("failed mail")

    def __str__(self) -> str:
        return f"{self.task_name} ({self.error})"

    @property
    def can_resend(self) -> bool:
        return self.arguments is not None

    @property
    def explanation(self) -> str:
        if self.error == HANDOVER_UNCERTAIN:
            return _(
                "The worker stopped while the mail server was taking this mail, so it may have "
                "arrived and was not sent again. Look for it in the mail server's log before "
                "sending it again."
            )
        if self.error == BROKER_UNAVAILABLE:
            return _(
                "Never queued: the task queue (Redis) was unreachable when this mail was due. "
                "Sending it again queues it anew."
            )
        return _("Not sent. Sending it again queues it anew.")
