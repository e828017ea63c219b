import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from ibank.postgresql import serve_requests

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ibank.settings")
# This process answers requests: its database connections carry the request timeouts (ibank/postgresql).
serve_requests()

application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 (the views, forms and their modules, loaded before the first request)

# What the process loaded lives as long as it does: moved out of the collector's reach, so that a full
# collection scans only what requests made since instead of pausing a request for every module, model, view
# and form loaded at start (CPython's gc.freeze, meant for servers).
gc.collect()
gc.freeze()
