"""Error pages: the feature-phone IB at /m/ answers a 404 with its own plain page (no script, under 5 KB),
every other path with the site's."""

from django.views.defaults import page_not_found


def not_found(request, exception):
    template = "mobile/404.html" if request.path.startswith("/m/") else "404.html"
    return page_not_found(request, exception, template_name=template)
