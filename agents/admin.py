from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from agents import services
from agents.forms import WEEKDAYS, WINDOWS_A_DAY, TeamForm, hours_field_names
from agents.models import AgentProfile, Team, TeamHoliday, TeamMembership


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 1
    autocomplete_fields = ("user",)


class TeamHolidayInline(admin.TabularInline):
    model = TeamHoliday
    extra = 1


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    form = TeamForm
    list_display = ("code", "name_en", "name_zh_hans", "time_zone")
    search_fields = ("code", "name_en", "name_zh_hans")
    inlines = (TeamMembershipInline, TeamHolidayInline)

    def get_fieldsets(self, request, obj=None):
        week = [
            tuple(
                name for window in range(WINDOWS_A_DAY) for name in hours_field_names(day, window)
            )
            for day in range(len(WEEKDAYS))
        ]
        return [
            (None, {"fields": ("code", "name_en", "name_zh_hans", "time_zone")}),
            (
                _("Working hours"),
                {
                    "classes": ("working-hours",),
                    "description": _(
                        "In the team's time zone. A closing time at or before the opening runs "
                        "past midnight; 00:00 to 00:00 is the whole day. Holidays are below."
                    ),
                    "fields": ("always_open", *week),
                },
            ),
        ]


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ("display_name", "agent_code", "user", "availability", "capacity")
    list_filter = ("availability",)
    list_editable = ("availability", "capacity")
    search_fields = ("display_name", "agent_code", "user__username", "user__email")
    autocomplete_fields = ("user",)
    actions = ["reissue_codes"]

    @admin.action(description=_("Issue new agent codes"), permissions=["change"])
    def reissue_codes(self, request, queryset) -> None:
        for profile in queryset:
            old = profile.agent_code
            services.agent_code_reissue(profile=profile)
            self.log_change(request, profile, f"agent code {old} -> {profile.agent_code}")
        self.message_user(
            request,
            _("%(count)d agents have new codes: tell them, the old codes no longer verify.")
            % {"count": len(queryset)},
        )
