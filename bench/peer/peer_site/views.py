from django.shortcuts import render
from django_otp.decorators import otp_required


@otp_required
def home(request):
    """The logged-in page: who is logged in and since when (the peer keeps no more)."""
    return render(request, "home.html")
