from django.db.models import QuerySet

from apps.accounts.models import ApiToken, User
from apps.core.errors import NotFound


def api_tokens_of_user(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def access_api_token_by_id(user: User, token_id: int) -> ApiToken:
    """The same 404 for a token that does not exist and one of another user."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound("API token not found.")
    return token
