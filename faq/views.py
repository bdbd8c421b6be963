from uuid import uuid4

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.page_cache import page_lookup, page_store
from faq import selectors, services
from faq.channels import channel_guide
from faq.forms import MissingForm, SearchForm, VoteForm
from faq.models import SearchLog
from guard.refusals import form_rate_limited
from security.ratelimit import (
    rate_limit_hit,
    rate_limited_json,
    rate_limited_page,
    rate_limited_render,
)
from tickets.selectors import first_response_table
from verification import selectors as verification_selectors

VISITOR_SESSION_KEY = "faq_visitor"


def visitor_of(request: HttpRequest, *, create: bool = False) -> str | None:
    """A random id kept in the visitor's session: one vote per visitor, no account needed."""
    visitor = request.session.get(VISITOR_SESSION_KEY)
    if visitor is None and create:
        visitor = uuid4().hex
        request.session[VISITOR_SESSION_KEY] = visitor
    return visitor


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


# Home shows what is open now and how soon each channel answers, to the minute: kept a minute.
HOME_SECONDS = 60


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if cached := page_lookup(request, name="home", every=HOME_SECONDS):
        return cached.response(request)
    channels = channel_guide()
    context = {
        "channels": channels,
        "live_chat": next((channel for channel in channels if channel.code == "live_chat"), None),
        "search_form": SearchForm(),
        "first_response_table": first_response_table(),
    }
    return page_store(request, render(request, "home.html", context))


# The public pages below are the same for every visitor of a language: served from the cache to
# visitors without a session (common.page_cache), rendered for everyone else.
@require_GET
def security(request: HttpRequest) -> HttpResponse:
    if cached := page_lookup(request, name="security"):
        return cached.response(request)
    context = {
        "social_accounts": settings.SUPPORT_SOCIAL_ACCOUNTS,
        "official_contacts": verification_selectors.official_contacts(),
        "known_fakes": verification_selectors.known_fakes()[:100],
    }
    return page_store(request, render(request, "faq/security.html", context))


@require_GET
def faq_index(request: HttpRequest) -> HttpResponse:
    if cached := page_lookup(request, name="faq-index"):
        return cached.response(request)
    context = {"categories": selectors.category_list(), "search_form": SearchForm()}
    return page_store(request, render(request, "faq/index.html", context))


@require_GET
def category_detail(request: HttpRequest, category: str) -> HttpResponse:
    if cached := page_lookup(request, name="faq-category", params=["page"]):
        return cached.response(request)
    category_obj = selectors.category_get(slug=category)
    page = selectors.category_articles(category=category_obj, page=request.GET.get("page"))
    context = {"category": category_obj, "page": page, "search_form": SearchForm()}
    return page_store(request, render(request, "faq/category.html", context))


@require_GET
def article_detail(request: HttpRequest, category: str, article: str) -> HttpResponse:
    if cached := page_lookup(request, name="faq-article"):
        services.article_record_view(article_id=cached.facts["article_id"])
        return cached.response(request)
    article_obj = selectors.article_get(slug=article)
    if article_obj.category.slug != category:
        return redirect(article_obj, permanent=True)
    services.article_record_view(article_id=article_obj.pk)
    context = {
        "article": article_obj,
        "body_html": selectors.article_body_html(article=article_obj),
        "category": article_obj.category,
        "related": selectors.article_related(article=article_obj),
        "vote": selectors.article_vote_of(article=article_obj, visitor=visitor_of(request)),
        "search_form": SearchForm(),
        "missing_form": MissingForm(),
    }
    return page_store(
        request, render(request, "faq/article.html", context), article_id=article_obj.pk
    )


@require_POST
def article_missing(request: HttpRequest, category: str, article: str) -> HttpResponse:
    """After a "No": what the article did not answer. Works without JavaScript."""
    article_obj = selectors.article_get(slug=article)
    back_url = f"{article_obj.get_absolute_url()}#helpful"
    if limited := rate_limit_hit(request, "faq_vote"):
        return rate_limited_page(request, limited, back_url=back_url)
    form = MissingForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["missing"][0])
        return redirect(back_url)
    services.article_vote_explain(
        article=article_obj, visitor=visitor_of(request), missing=form.cleaned_data["missing"]
    )
    messages.success(request, _("Thank you: editors read every answer."))
    return redirect(back_url)


@require_POST
def article_vote(request: HttpRequest, category: str, article: str) -> HttpResponse:
    article_obj = selectors.article_get(slug=article)
    if limited := rate_limit_hit(request, "faq_vote"):
        if wants_json(request):
            return rate_limited_json(limited)
        back_url = f"{article_obj.get_absolute_url()}#helpful"
        return rate_limited_page(request, limited, back_url=back_url)
    form = VoteForm(request.POST)
    if not form.is_valid():
        error = form.errors["helpful"][0]
        if wants_json(request):
            return JsonResponse({"error": {"code": "invalid", "message": error}}, status=400)
        messages.error(request, error)
        return redirect(f"{article_obj.get_absolute_url()}#helpful")
    outcome = services.article_vote(
        article=article_obj,
        visitor=visitor_of(request, create=True),
        helpful=form.cleaned_data["helpful"],
    )
    if not outcome.recorded:
        message = _("You have already answered for this article. Thank you.")
    elif outcome.helpful:
        message = _("Thank you for your feedback.")
    else:
        message = _("Thank you. What was missing? Tell us below, it helps us improve the article.")
    if wants_json(request):
        return JsonResponse(
            {"recorded": outcome.recorded, "helpful": outcome.helpful, "message": message}
        )
    messages.success(request, message)
    return redirect(f"{article_obj.get_absolute_url()}#helpful")


@require_http_methods(["GET", "POST"])
def search(request: HttpRequest) -> HttpResponse:
    """The search page. Its form posts, so what was typed is never in an address that a proxy,
    the server's log or the browser's history keeps; `?q=` links still work."""
    data = request.POST if request.method == "POST" else request.GET
    form = SearchForm(data) if "q" in data else SearchForm()
    outcome = None
    if form.is_bound and (limited := rate_limit_hit(request, "search")):
        form = form_rate_limited(form, limited, field="q")
        context = {"search_form": form, "results": None}
        return rate_limited_render(request, "faq/search.html", context, limited)
    if form.is_bound and form.is_valid():
        query = form.cleaned_data["q"]
        outcome = selectors.help_search(query=query)
        services.search_record(
            query=query,
            language=request.LANGUAGE_CODE,
            source=SearchLog.Source.SEARCH,
            result_count=len(outcome.results),
        )
    return render(
        request,
        "faq/search.html",
        {
            "search_form": form.without_refused_text(),
            "results": outcome.results if outcome else None,
            "warning": outcome.warning if outcome else None,
        },
    )


@require_POST
def suggest(request: HttpRequest) -> JsonResponse:
    """The five best articles for type-ahead and for suggestions while writing a ticket. Posted
    (with the page's CSRF token), as the text is sent while the customer is still typing it."""
    if limited := rate_limit_hit(request, "search"):
        return rate_limited_json(limited)
    form = SearchForm(request.POST)
    if not form.is_valid():
        # A secret typed in the contact form or the search box: warned about while typing.
        warning = form.refusals[0].message if form.refusals else None
        return JsonResponse({"query": "", "warning": warning, "results": []})
    query = form.cleaned_data["q"]
    outcome = selectors.help_search(query=query, limit=selectors.SUGGEST_LIMIT)
    results = outcome.results
    return JsonResponse(
        {
            "query": query,
            "warning": outcome.warning,
            "results": [
                {
                    "title": result.article.title,
                    "url": result.article.get_absolute_url(),
                    "snippet": result.snippet,
                }
                for result in results
            ],
        }
    )
