"""A company user's credentials, as the Locomote and hotel enrichment interfaces take them:
`X-USER-USERNAME` + `X-USER-TOKEN`. The rules (hashes, constant time) are `auth`'s."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver

from loyalty_core.auth import authenticate_user
from loyalty_core.interfaces.http import header
from loyalty_core.models import Principal
from loyalty_core.observability import identify
from loyalty_core.repository import Login

if TYPE_CHECKING:
    from loyalty_core.repository import Repository

# What authenticating a user builds (its login as stored, the principal), which every route
# of the functions importing this module does: imported with it, at init. (`auth` and the
# item codec take them from their packages, so that the Concur function, whose callers are
# applications, builds neither.)
BUILT_BY_EVERY_ROUTE = (Login, Principal)


def caller(app: APIGatewayRestResolver, repo: Repository) -> Principal:
    """The user behind `X-USER-USERNAME` + `X-USER-TOKEN` (401 otherwise); the seed's
    `X-USER_TOKEN` spelling of the token header is accepted too."""
    headers = app.current_event.headers
    principal = authenticate_user(
        repo,
        header(headers, "X-USER-USERNAME"),
        header(headers, "X-USER-TOKEN", "X-USER_TOKEN"),
    )
    identify(principal.company, principal.actor)
    return principal
