from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from verification.normalise import Kind, contact_normalise

KIND_CHOICES = [
    (Kind.DOMAIN, _("Website or domain")),
    (Kind.HANDLE, _("Social media account")),
    (Kind.PHONE, _("Phone number")),
    (Kind.EMAIL, _("Email address")),
    (Kind.ADDRESS, _("Wallet or contract address")),
]
PLATFORM_CHOICES = [
    ("telegram", "Telegram"),
    ("x", "X (Twitter)"),
    ("wechat", _("WeChat")),
    ("weibo", _("Weibo")),
    ("discord", "Discord"),
]


class ListedContact(models.Model):
    """A contact as typed by staff, stored with its normalised form (normalise.py) so a check
    is one indexed lookup."""

    kind = models.CharField(_("kind"), max_length=16, choices=KIND_CHOICES)
    platform = models.CharField(_("platform"), max_length=16, choices=PLATFORM_CHOICES, blank=True)
    value = models.CharField(_("as written"), max_length=200)
    normalised = models.CharField(max_length=200, editable=False, db_index=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"

    def clean(self) -> None:
        if self.kind == Kind.HANDLE and not self.platform:
            raise ValidationError({"platform": _("Say which platform this account is on.")})
        found = contact_normalise(kind=self.kind, raw=self.value, platform=self.platform)
        if found is None:
            raise ValidationError({"value": _("This does not read as the kind chosen.")})
        self.normalised = found.value
        if self.kind == Kind.HANDLE:
            self.platform = found.platform


class OfficialContact(ListedContact):
    """One of the operator's own contacts, shown on /security/ and confirmed by /verify/."""

    description_en = models.CharField(_("what it is (English)"), max_length=200)
    description_zh_hans = models.CharField(_("what it is (Chinese)"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "platform", "value"]
        verbose_name = _("official contact")
        verbose_name_plural = _("official contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "platform", "normalised"], name="verification_one_official"
            )
        ]


class KnownFake(ListedContact):
    """A contact confirmed to impersonate the desk: /verify/ warns about it, /security/ lists
    it, and tickets and chats that mention it are flagged."""

    reported_at = models.DateTimeField(_("reported"))
    confirmed_at = models.DateTimeField(_("confirmed"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    report = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="known_fakes",
        verbose_name=_("report"),
    )

    class Meta:
        ordering = ["-confirmed_at"]
        verbose_name = _("known fake")
        verbose_name_plural = _("known fakes")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "platform", "normalised"], name="verification_one_fake"
            )
        ]


class FakeReport(models.Model):
    """A customer's report of a contact that posed as the desk: a ticket of its own (filed for
    the security team) holding what they saw, until an agent confirms it into KnownFake."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="fake_report"
    )
    kind = models.CharField(_("kind"), max_length=16, blank=True)
    platform = models.CharField(_("platform"), max_length=16, blank=True)
    value = models.CharField(_("what the customer saw"), max_length=200)
    normalised = models.CharField(max_length=200, blank=True, editable=False)
    where_seen = models.CharField(_("where"), max_length=40, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("fake-contact report")
        verbose_name_plural = _("fake-contact reports")

    def __str__(self) -> str:
        return f"{self.ticket.reference}: {self.value}"
