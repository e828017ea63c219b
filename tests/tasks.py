"""A task backend for tests that do not run a worker: a task runs as soon as its transaction commits, as if a
worker took it at once. It keeps what production promises (nothing runs for a transaction that rolls back)
while a test reads the notice right after the request. The delivery tests use the database backend and a
real worker (the ``real_worker`` marker)."""

from django.db import transaction
from django_tasks.backends.immediate import ImmediateBackend


class OnCommitImmediateBackend(ImmediateBackend):
    supports_defer = True  # a retry's run_after is not waited for in these tests: the worker tests cover it

    def enqueue(self, task, args, kwargs):
        if task.run_after is not None:
            return None  # a deferred retry: left to the worker tests
        transaction.on_commit(lambda: super(OnCommitImmediateBackend, self).enqueue(task, args, kwargs))
        return None
