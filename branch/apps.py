from django.apps import AppConfig


class BranchConfig(AppConfig):
    name = "branch"
    verbose_name = "営業店業務"
