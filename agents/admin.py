from django.contrib import admin

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
    list_display = ("code", "name_en", "name_zh_hans", "time_zone")
    search_fields = ("code", "name_en", "name_zh_hans")
    inlines = (TeamMembershipInline, TeamHolidayInline)


@admin.register(AgentProfile)
class AgentProfileAdmin(admin.ModelAdmin):
    list_display = ("display_name", "agent_code", "user", "availability", "capacity")
    list_filter = ("availability",)
    list_editable = ("availability", "capacity")
    search_fields = ("display_name", "agent_code", "user__username", "user__email")
    autocomplete_fields = ("user",)
