"""Staff post announcements here, and answer every ticket filed about one at once."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from announcements import selectors, services
from announcements.forms import AnnouncementForm, ReplyAllForm
from announcements.models import Announcement


class LiveFilter(admin.SimpleListFilter):
    title = _("time window")
    parameter_name = "window"

    def lookups(self, request, model_admin):
        return (
            ("live", _("Live now")),
            ("upcoming", _("Upcoming")),
            ("ended", _("Ended")),
        )

    def queryset(self, request, queryset):
        now = timezone.now()
        not_ended = Q(ends_at__isnull=True) | Q(ends_at__gt=now)
        if self.value() == "live":
            return queryset.filter(not_ended, is_published=True, starts_at__lte=now)
        if self.value() == "upcoming":
            return queryset.filter(starts_at__gt=now)
        if self.value() == "ended":
            return queryset.filter(ends_at__lte=now)
        return queryset


def _when(value) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    form = AnnouncementForm
    change_form_template = "announcements/admin/change_form.html"
    list_display = (
        "title_en",
        "title_zh_hans",
        "severity",
        "is_live",
        "window",
        "problem_type_list",
        "tagged_ticket_count",
        "is_published",
    )
    list_filter = (LiveFilter, "severity", "is_published")
    search_fields = ("title_en", "title_zh_hans", "body_en", "body_zh_hans")
    date_hierarchy = "starts_at"
    readonly_fields = ("tagged_ticket_count", "created_by", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("severity", "is_published")}),
        (_("English"), {"fields": ("title_en", "body_en")}),
        (_("Chinese"), {"fields": ("title_zh_hans", "body_zh_hans")}),
        (
            _("When and for whom"),
            {
                "fields": ("starts_at", "ends_at", "problem_types"),
                "description": _(
                    "Times are in the site's time zone. The announcement shows on the home "
                    "page, the contact form, the chat and the help-centre pages of its problem "
                    "types while it is published and between its start and end."
                ),
            },
        ),
        (
            _("Record"),
            {"fields": ("tagged_ticket_count", "created_by", "created_at", "updated_at")},
        ),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        # Nothing is recorded before the first save.
        return fieldsets if obj is not None else fieldsets[:-1]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Announcement]:
        return (
            super()
            .get_queryset(request)
            .select_related("created_by")
            .annotate(tagged_count=Count("tickets", distinct=True))
        )

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("live now"), boolean=True)
    def is_live(self, announcement: Announcement) -> bool:
        return announcement.is_live()

    @admin.display(description=_("time window"), ordering="starts_at")
    def window(self, announcement: Announcement) -> str:
        end = _when(announcement.ends_at) if announcement.ends_at else _("until further notice")
        return f"{_when(announcement.starts_at)} – {end}"

    @admin.display(description=_("problem types"))
    def problem_type_list(self, announcement: Announcement) -> str:
        return ", ".join(announcement.problem_type_labels()) or str(_("All problem types"))

    @admin.display(description=_("tagged tickets"), ordering="tagged_count")
    def tagged_ticket_count(self, announcement: Announcement) -> int:
        if not announcement.pk:
            return 0
        counted = getattr(announcement, "tagged_count", None)
        return counted if counted is not None else announcement.tickets.count()

    def get_urls(self):
        reply_all = self.admin_site.admin_view(self.reply_all_view)
        return [
            path(
                "<path:object_id>/reply-all/",
                reply_all,
                name="announcements_announcement_reply_all",
            ),
            *super().get_urls(),
        ]

    def can_reply_all(self, request: HttpRequest, announcement: Announcement) -> bool:
        """Replying writes to tickets, so it takes the right to change tickets too."""
        return self.has_change_permission(request, announcement) and request.user.has_perm(
            "tickets.change_ticket"
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        announcement = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "can_reply_all": announcement is not None and self.can_reply_all(request, announcement),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def reply_all_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """One reply for every open ticket tagged with the announcement."""
        announcement = self.get_object(request, object_id)
        if announcement is None:
            raise Http404
        if not self.can_reply_all(request, announcement):
            raise PermissionDenied
        change_url = reverse("admin:announcements_announcement_change", args=[announcement.pk])
        form = ReplyAllForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                answered = services.announcement_reply_all(
                    announcement=announcement,
                    author=request.user,
                    bodies=form.bodies(),
                )
            except services.AnnouncementError as error:
                form.add_error(None, error.message)
            else:
                if answered:
                    message = ngettext(
                        "Your reply was sent on %(count)d open ticket.",
                        "Your reply was sent on %(count)d open tickets.",
                        answered,
                    ) % {"count": answered}
                    self.message_user(request, message, messages.SUCCESS)
                else:
                    message = _("No tagged ticket is open: nothing was sent.")
                    self.message_user(request, message, messages.WARNING)
                return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reply to all tagged open tickets"),
            "subtitle": str(announcement),
            "opts": self.opts,
            "announcement": announcement,
            "form": form,
            "open_count": selectors.announcement_open_tickets(announcement=announcement).count(),
            "tagged_count": announcement.tagged_count,
            "change_url": change_url,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "announcements/admin/reply_all.html", context)
