from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class ClosedBetaAccountAdapter(DefaultAccountAdapter):
    """Backlot is a closed beta: nobody signs up through allauth. Accounts are created only
    by accepting an invitation (`apps.beta.invitations.invitation_accept`, page
    `/beta/invite/<token>/`); the closed-signup page points to the waitlist."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
