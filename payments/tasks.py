"""The payment tasks (django-tasks, run by ``manage.py db_worker``)."""

from django_tasks import task

from . import reservations


@task()
def execute_reservation(transfer_id: int) -> str:
    """Execute a 振込予約 on its 振込指定日 (enqueued at 認証 with ``run_after`` = 0:00 JST of that day)."""
    return reservations.execute(transfer_id)
