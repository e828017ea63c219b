"""Static files are served by the app itself (WhiteNoise): its own and the admin's, with their type."""

import pytest


@pytest.mark.parametrize(
    ("url", "content_type"),
    [
        ("/static/css/ibank.css", "text/css"),
        ("/static/js/ibank.js", "text/javascript"),
        ("/static/admin/css/base.css", "text/css"),
    ],
)
def test_the_app_serves_its_static_files(client, url, content_type):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert b"".join(response.streaming_content)


def test_a_missing_static_file_is_a_404(client):
    assert client.get("/static/css/nowhere.css").status_code == 404


def test_the_icon_browsers_ask_for_is_served_not_a_404(client):
    """Browsers ask /favicon.ico of pages that name no icon (/m/, the admin): WhiteNoise answers it."""
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00" and body[22:26] == b"\x89PNG"  # an icon holding a PNG
