"""Base API classes. Tenant resolution happens before any handler runs, so a view built
on `OrganizationScopedViewSet` cannot forget the tenant filter: its querysets come from
tenant managers that only work inside the scope this class opens."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any, ClassVar

from django.db import DatabaseError, transaction
from django.db.models import Model, QuerySet
from django.http import Http404
from rest_framework import viewsets
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.errors import BacklotError
from apps.core.request_context import mark_source
from apps.tenancy.models import Membership, Organization
from apps.tenancy.policy import Capability, require
from apps.tenancy.scope import tenant_scope
from apps.tenancy.selectors import access_membership_by_slug


class BacklotAPIMixin:
    """Marks the request as API traffic and runs the whole handler in one transaction.

    The transaction and the tenant scope are entered on `_scope_stack` (in `initial`) and
    always closed by `dispatch`, in the request's own context, on every way out: a
    response, a handled refusal or an error that becomes a 500. (Closing them only in
    `finalize_response` missed the 500s: the scope then unwound whenever the garbage
    collector got to it, in another context, and could leave its database settings on
    the connection.)"""

    _scope_stack: ExitStack

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self._scope_stack = ExitStack()
        with self._scope_stack:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        mark_source("api")
        self._scope_stack.enter_context(transaction.atomic())
        super().initial(request, *args, **kwargs)  # type: ignore[misc]

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DatabaseError) or not isinstance(
            exc, (APIException, BacklotError, Http404)
        ):
            # An unexpected failure must not commit half a write. Refusals (4xx) commit,
            # so the audit rows that services write for them are kept.
            transaction.set_rollback(True)
        return super().handle_exception(exc)  # type: ignore[misc]


class BacklotViewSet(BacklotAPIMixin, viewsets.GenericViewSet):
    """Views declare `model` and implement `scoped_queryset()`; the schema generator gets
    an empty queryset of the model instead of running tenant queries with no tenant."""

    model: ClassVar[type[Model]]

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return self.model._base_manager.none()
        return self.scoped_queryset()

    def scoped_queryset(self) -> QuerySet[Any]:
        return self.model._base_manager.none()


class UserScopedViewSet(BacklotViewSet):
    """Resources that belong to the requesting user, not to an organization."""


class OrganizationScopedViewSet(BacklotViewSet):
    """Everything under /api/v1/orgs/{org}/.

    Resolves the organization from the URL and the user's membership (404 when the user
    is not a member, exactly as for an organization that does not exist), checks the
    capability the method needs (`read_capability` for safe methods, `write_capability`
    otherwise; see `apps.tenancy.policy`), then activates the tenant scope for the handler.
    """

    read_capability: ClassVar[Capability] = Capability.ORGANIZATION_READ
    write_capability: ClassVar[Capability] = Capability.PRODUCTION_WRITE
    organization: Organization
    membership: Membership

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        membership = access_membership_by_slug(request.user, self.kwargs["org"])
        self.membership = membership
        self.organization = membership.organization
        # The request's transaction (opened in BacklotAPIMixin.initial, closed by the same
        # stack right after the scope) holds the scope: no savepoint, one round trip.
        self._scope_stack.enter_context(
            tenant_scope(self.organization.pk, user_id=request.user.pk, request_transaction=True)
        )
        safe = request.method in ("GET", "HEAD", "OPTIONS")
        require(membership, self.read_capability if safe else self.write_capability)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["organization"] = getattr(self, "organization", None)
        return context
