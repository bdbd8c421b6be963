"""The support dashboard: the desk's figures for staff, as charts, tables and CSV files."""

from collections.abc import AsyncIterator, Iterator

from django import forms
from django.contrib import admin
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from common.forms import ChoicesNotEchoed
from dashboard import figures as reports
from dashboard import selectors
from security.audit import Action, audit_record
from security.decorators import agent_required


class DashboardPeriodForm(ChoicesNotEchoed, forms.Form):
    period = forms.TypedChoiceField(
        label=_("Period"),
        choices=[
            (7, _("Last 7 days")),
            (30, _("Last 30 days")),
            (90, _("Last 90 days")),
        ],
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose a period of 7, 30 or 90 days.")},
    )

    def days(self) -> int:
        if self.is_valid() and self.cleaned_data["period"]:
            return self.cleaned_data["period"]
        return reports.DEFAULT_PERIOD_DAYS


class FigureExportForm(DashboardPeriodForm):
    figure = forms.ChoiceField(
        choices=[(name, name) for name in reports.FIGURE_NAMES],
        error_messages={
            "required": _("Choose the figure to download."),
            "invalid_choice": _("There is no figure of that name to download."),
        },
    )


@agent_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    form = DashboardPeriodForm(request.GET)
    days = form.days()
    data = selectors.dashboard_data(days=days)
    figures = reports.dashboard_figures(data=data)
    context = {
        **admin.site.each_context(request),
        "title": _("Support dashboard"),
        "period_form": DashboardPeriodForm(initial={"period": days}),
        "period_errors": form.errors.get("period", []),
        "days": days,
        "data": data,
        "figures": figures,
        "charts": reports.chart_data(figures=figures),
        "cache_seconds": selectors.CACHE_SECONDS,
    }
    return render(request, "admin/dashboard.html", context)


@agent_required
@require_GET
def export_csv(request: HttpRequest) -> HttpResponse:
    """One figure as a CSV file (UTF-8 with a byte order mark, so Excel reads the Chinese)."""
    form = FigureExportForm(request.GET)
    if not form.is_valid():
        messages = [message for errors in form.errors.values() for message in errors]
        return HttpResponseBadRequest(" ".join(messages), content_type="text/plain; charset=utf-8")
    days = form.days()
    name = form.cleaned_data["figure"]
    data = selectors.dashboard_data(days=days)
    figure = reports.dashboard_figure(data=data, name=name)
    audit_record(Action.EXPORT, request=request, target=f"dashboard {name}", detail={"days": days})
    lines = selectors.figure_csv_lines(figure=figure)
    response = StreamingHttpResponse(
        _aiter(lines) if isinstance(request, ASGIRequest) else lines,
        content_type="text/csv; charset=utf-8",
    )
    day = timezone.localdate(data.computed_at).isoformat()
    response["Content-Disposition"] = f'attachment; filename="support-{name}-{days}d-{day}.csv"'
    return response


async def _aiter(lines: Iterator[str]) -> AsyncIterator[str]:
    # Under ASGI Django would otherwise read a sync iterator whole, with a warning.
    for line in lines:
        yield line
