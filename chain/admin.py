from django.contrib import admin

from chain.models import TransactionCheck


@admin.register(TransactionCheck)
class TransactionCheckAdmin(admin.ModelAdmin):
    list_display = ["ticket", "network", "state", "confirmations", "is_final", "checked_at"]
    list_filter = ["network", "state", "is_final"]
    search_fields = ["ticket__reference", "transaction_hash", "to_address", "from_address"]
    list_select_related = ["ticket"]
    readonly_fields = [field.name for field in TransactionCheck._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
