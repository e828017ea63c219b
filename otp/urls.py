from django.urls import path

from . import views

urlpatterns = [
    path("token/", views.issue_index_view, name="otp-issue"),
    path("token/issue/", views.issue_view, name="otp-issue-create"),
    path("token/desktop/", views.desktop_token_view, name="otp-desktop"),
]
