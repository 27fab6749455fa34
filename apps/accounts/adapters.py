from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class ClosedBetaAccountAdapter(DefaultAccountAdapter):
    """Backlot is a closed beta: nobody signs up without an invitation."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
