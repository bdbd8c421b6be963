from django.urls import path

from faq import views

app_name = "faq"

urlpatterns = [
    path("", views.faq_index, name="index"),
    path("search/", views.search, name="search"),
    path("suggest/", views.suggest, name="suggest"),
    path("<slug:category>/", views.category_detail, name="category"),
    path("<slug:category>/<slug:article>/", views.article_detail, name="article"),
    path("<slug:category>/<slug:article>/vote/", views.article_vote, name="vote"),
    path("<slug:category>/<slug:article>/missing/", views.article_missing, name="missing"),
]
