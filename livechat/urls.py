from django.urls import path

from livechat import views
from verification import views as verification_views

app_name = "livechat"

urlpatterns = [
    path("chat/", views.chat_page, name="chat"),
    path("chat/start/", views.chat_start, name="start"),
    path("chat/<uuid:public_id>/", views.conversation_page, name="conversation"),
    path("chat/<uuid:public_id>/send/", views.conversation_send, name="send"),
    path("chat/<uuid:public_id>/attach/", views.conversation_attach, name="attach"),
    path(
        "chat/<uuid:public_id>/attachments/<int:attachment_id>/",
        views.conversation_attachment,
        name="attachment",
    ),
    path("chat/<uuid:public_id>/end/", views.conversation_end, name="end"),
    path("chat/<uuid:public_id>/rate/", views.conversation_rate, name="rate"),
    path("chat/<uuid:public_id>/transcript/", views.conversation_transcript, name="transcript"),
    path("agent/chat/", views.agent_console, name="agent_console"),
    path("verify/", verification_views.verify, name="verify"),
]
