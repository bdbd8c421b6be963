from django.db import models
from django.utils.translation import gettext_lazy as _


class SentMail(models.Model):
    """Mail already sent by a task run: a redelivered task (worker died before acknowledging)
    finds its id here and does not send twice."""

    task_id = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "tickets_sentmail"
        verbose_name = _("sent mail")
        verbose_name_plural = _("sent mail")

    def __str__(self) -> str:
        return self.task_id
