"""The notice tasks (django-tasks: the code moves to django.tasks unchanged with Django 6)."""

from django_tasks import task

from . import delivery


@task()
def deliver(notice_id: str) -> str:
    """Send one notice (notices.delivery.attempt): retried with backoff, never inside a request."""
    return delivery.attempt(notice_id)
