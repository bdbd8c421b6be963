from django.contrib import admin

from verification.models import KnownFake, OfficialContact


@admin.register(OfficialContact)
class OfficialContactAdmin(admin.ModelAdmin):
    list_display = ("value", "kind", "platform", "description_en", "is_active")
    list_filter = ("kind", "platform", "is_active")
    search_fields = ("value", "normalised", "description_en", "description_zh_hans")
    fieldsets = (
        (None, {"fields": ("kind", "platform", "value", "is_active")}),
        (None, {"fields": ("description_en", "description_zh_hans")}),
    )


@admin.register(KnownFake)
class KnownFakeAdmin(admin.ModelAdmin):
    list_display = ("value", "kind", "platform", "reported_at", "confirmed_at", "confirmed_by")
    list_filter = ("kind", "platform")
    search_fields = ("value", "normalised")
    fields = ("kind", "platform", "value", "reported_at", "report")
    raw_id_fields = ("report",)

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.confirmed_by = request.user
        super().save_model(request, obj, form, change)
