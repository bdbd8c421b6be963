from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from api import errors, views

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", views.DocsView.as_view(), name="docs"),
    path("tickets/", views.TicketListView.as_view(), name="tickets"),
    path("tickets/<str:reference>/", views.TicketDetailView.as_view(), name="ticket"),
    path(
        "tickets/<str:reference>/messages/",
        views.TicketMessageView.as_view(),
        name="ticket-messages",
    ),
    path(
        "tickets/<str:reference>/attachments/",
        views.TicketAttachmentUploadView.as_view(),
        name="ticket-attachments",
    ),
    path(
        "tickets/<str:reference>/attachments/<int:attachment_id>/",
        views.TicketAttachmentView.as_view(),
        name="ticket-attachment",
    ),
    path("tickets/<str:reference>/rating/", views.TicketRatingView.as_view(), name="ticket-rating"),
    path("tickets/<str:reference>/status/", views.TicketStatusView.as_view(), name="ticket-status"),
    path("faq/", views.FaqIndexView.as_view(), name="faq"),
    path("faq/search/", views.FaqSearchView.as_view(), name="faq-search"),
    path("faq/articles/<slug:slug>/", views.FaqArticleView.as_view(), name="faq-article"),
    path("chats/", views.ChatStartView.as_view(), name="chats"),
    path("verify/", views.VerifyView.as_view(), name="verify"),
    re_path(r"^(?P<unknown>.*)$", errors.not_found),
]
