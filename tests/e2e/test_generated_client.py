"""A client generated from openapi.json by openapi-python-client, used unmodified against the
local front: every JSON route answers what the document says, parsed by the generated models.

(The XML routes are skipped by the generator, which supports no XML bodies.)
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from local.events import HILTON, MARRIOTT, SEED_CREATE
from local.template import ROOT
from tests.e2e.conftest import LocalFront

pytestmark = pytest.mark.e2e
PACKAGE = "loyalty_api_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    where = tmp_path_factory.mktemp("generated")
    config = where / "config.yaml"
    config.write_text("post_hooks: []\n")
    done = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(ROOT / "openapi.json"),
            "--output-path",
            str(where / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    said = done.stdout + done.stderr
    skipped = [line for line in said.splitlines() if "will not be generated" in line]
    # the XML routes: the Concur update and the two LoyaltyCard enrichment routes
    assert len(skipped) == 3 and all("loyalty" in line for line in skipped), said
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def authenticated(generated: ModuleType, base: str, token: str) -> Any:
    """The generated client with the admin's demo credentials (two headers: the token as
    its auth header, the username as an extra header)."""
    return generated.AuthenticatedClient(
        base_url=base,
        token=token,
        prefix="",
        auth_header_name="X-USER-TOKEN",
        headers={"X-USER-USERNAME": "admin@acme.example"},
    )


def test_every_json_route_through_the_generated_client(
    generated: ModuleType, local_front: LocalFront
) -> None:
    client = authenticated(generated, local_front.base, "acme-admin-token")
    memberships = "api.memberships."
    create = module(memberships + "create_membership")
    get = module(memberships + "get_membership")
    update = module(memberships + "update_membership")
    delete = module(memberships + "delete_membership")
    listing = module(memberships + "list_memberships")
    providers = module("api.providers.list_providers")
    provider = module("api.providers.get_provider")
    models = module("models")

    body = models.MembershipCreateDocument.from_dict(
        {
            **SEED_CREATE,
            "data": {
                **SEED_CREATE["data"],
                "attributes": {**SEED_CREATE["data"]["attributes"], "account_number": "GEN12345"},
            },
        }
    )
    created = create.sync_detailed("098765", client=client, body=body)
    assert created.status_code == 201, created.content
    assert isinstance(created.parsed, models.MembershipDocument)
    membership_id = str(created.parsed.data.id)
    assert created.parsed.data.attributes.account_number == "GEN12345"

    read = get.sync("098765", membership_id, client=client)
    assert isinstance(read, models.MembershipDocument)
    assert read.data.relationships.loyalty_provider.data.id == HILTON

    page = listing.sync("098765", client=client, pagenumber=1, pagesize=100)
    assert isinstance(page, models.MembershipCollectionDocument)
    assert membership_id in [str(m.id) for m in page.data]

    change = models.MembershipUpdateDocument.from_dict(
        {
            "data": {
                "id": membership_id,
                "type": "loyalty_memberships",
                "attributes": {"level": "Platinum"},
                "relationships": {
                    "loyalty_provider": {"data": {"id": MARRIOTT, "type": "loyalty_providers"}}
                },
            }
        }
    )
    updated = update.sync("098765", membership_id, client=client, body=change)
    assert isinstance(updated, models.MembershipDocument)
    assert updated.data.attributes.level == "Platinum"
    assert updated.data.relationships.loyalty_provider.data.id == MARRIOTT

    hotels = providers.sync(client=client, filtercategory=models.ListProvidersFiltercategory.HOTEL)
    assert isinstance(hotels, models.ProviderCollectionDocument)
    assert {p.attributes.category for p in hotels.data} == {"hotel"}
    hilton = provider.sync(HILTON, client=client)
    assert isinstance(hilton, models.ProviderDocument)
    assert hilton.data.attributes.name == "Hilton Honors"

    gone = delete.sync_detailed("098765", membership_id, client=client)
    assert gone.status_code == 204
    missing = get.sync("098765", membership_id, client=client)
    assert isinstance(missing, models.ErrorDocument)
    assert missing.errors[0].code == "record_not_found"

    trail = module(memberships + "list_membership_changes").sync(
        "098765", client=client, filtermembership=membership_id
    )
    assert isinstance(trail, models.MembershipChangeCollectionDocument)
    assert [r.attributes.changes[0].action for r in trail.data] == ["delete", "update", "create"]
    assert trail.data[1].attributes.changes[0].after.to_dict() == {
        "level": "Platinum",
        "loyalty_provider": MARRIOTT,
    }
    # The same records a page at a time, following the cursors in links.next
    changes, seen, cursor = module(memberships + "list_membership_changes"), [], None
    while True:
        page = changes.sync(
            "098765", client=client, filtermembership=membership_id, pagesize=1, pageafter=cursor
        )
        assert isinstance(page, models.MembershipChangeCollectionDocument)
        seen += [r.id for r in page.data]
        if not page.links.next_:
            break
        cursor = page.links.next_.split("page%5Bafter%5D=")[1].split("&")[0]
        assert cursor == page.data[-1].meta.page.cursor
    assert seen == [r.id for r in trail.data]

    wrong = authenticated(generated, local_front.base, "wrong-token")
    refused = listing.sync("098765", client=wrong)
    assert isinstance(refused, models.ErrorDocument) and refused.errors[0].status == "401"


def test_atomic_operations_through_the_generated_client(
    generated: ModuleType, local_front: LocalFront
) -> None:
    client = authenticated(generated, local_front.base, "acme-admin-token")
    models = module("models")
    apply = module("api.memberships.apply_operations")
    body = models.AtomicOperationsDocument.from_dict(
        {
            "atomic:operations": [
                {
                    "op": "add",
                    "href": "/api/users/112233/loyalty_memberships",
                    "data": {
                        **SEED_CREATE["data"],
                        "lid": "new",
                        "relationships": {
                            "loyalty_provider": SEED_CREATE["data"]["relationships"][
                                "loyalty_provider"
                            ]
                        },
                        "attributes": {
                            **SEED_CREATE["data"]["attributes"],
                            "account_number": "GEN777",
                        },
                    },
                },
                {
                    "op": "update",
                    "ref": {"type": "loyalty_memberships", "lid": "new"},
                    "data": {"type": "loyalty_memberships", "attributes": {"level": "Gold"}},
                },
            ]
        }
    )
    done = apply.sync_detailed(client=client, body=body)
    assert done.status_code == 200, done.content
    assert isinstance(done.parsed, models.AtomicResultsDocument)
    added, leveled = (result.data for result in done.parsed.atomicresults)
    assert added.id == leveled.id
    assert (added.attributes.account_number, leveled.attributes.level) == ("GEN777", "Gold")
    removed = apply.sync_detailed(
        client=client,
        body=models.AtomicOperationsDocument.from_dict(
            {
                "atomic:operations": [
                    {"op": "remove", "href": f"/api/users/112233/loyalty_memberships/{added.id}"}
                ]
            }
        ),
    )
    assert removed.status_code == 204


def test_the_reference_routes_through_the_generated_client(
    generated: ModuleType, local_front: LocalFront
) -> None:
    client = generated.Client(base_url=local_front.base)
    document = module("api.documentation.get_open_api_document").sync_detailed(client=client)
    assert document.status_code == 200
    assert document.parsed.to_dict()["openapi"] == "3.0.3"
    page = module("api.documentation.get_api_reference").sync_detailed(client=client)
    assert page.status_code == 200 and b"swagger-ui" in page.content


def test_the_webhook_routes_through_the_generated_client(
    generated: ModuleType, local_front: LocalFront
) -> None:
    from datetime import UTC, datetime, timedelta

    client = authenticated(generated, local_front.base, "acme-admin-token")
    hooks = "api.webhooks."
    models = module("models")
    created = module(hooks + "create_webhook_subscription").sync_detailed(
        client=client,
        body=models.WebhookSubscriptionCreateDocument.from_dict(
            {
                "data": {
                    "type": "webhook_subscriptions",
                    "attributes": {
                        "url": "http://127.0.0.1:9/hooks",
                        "events": ["user.erased"],
                        "payload": "thin",
                    },
                }
            }
        ),
    )
    assert created.status_code == 201, created.content
    assert isinstance(created.parsed, models.WebhookSubscriptionDocument)
    sub = created.parsed.data.id
    assert created.parsed.data.attributes.secret.startswith("whsec_")
    read = module(hooks + "get_webhook_subscription").sync(sub, client=client)
    assert isinstance(read, models.WebhookSubscriptionDocument)
    assert read.data.attributes.payload == "thin"
    listed = module(hooks + "list_webhook_subscriptions").sync(client=client)
    assert isinstance(listed, models.WebhookSubscriptionCollectionDocument)
    assert sub in [s.id for s in listed.data]
    updated = module(hooks + "update_webhook_subscription").sync(
        sub,
        client=client,
        body=models.WebhookSubscriptionUpdateDocument.from_dict(
            {
                "data": {
                    "type": "webhook_subscriptions",
                    "id": str(sub),
                    "attributes": {"events": ["loyalty_memberships.changed"]},
                }
            }
        ),
    )
    assert isinstance(updated, models.WebhookSubscriptionDocument)
    rotated = module(hooks + "rotate_webhook_secret").sync(
        sub,
        client=client,
        body=models.WebhookSecretRotationDocument.from_dict(
            {"data": {"type": "webhook_secret_rotations", "attributes": {"overlap_hours": 1}}}
        ),
    )
    assert isinstance(rotated, models.WebhookSecretRotation)
    now = datetime.now(UTC)
    replayed = module(hooks + "replay_webhook_window").sync(
        sub,
        client=client,
        body=models.WebhookReplayDocument.from_dict(
            {
                "data": {
                    "type": "webhook_replays",
                    "attributes": {
                        "since": (now - timedelta(hours=1)).isoformat(),
                        "until": now.isoformat(),
                    },
                }
            }
        ),
    )
    assert isinstance(replayed, models.WebhookReplay)
    deliveries = module(hooks + "list_webhook_deliveries").sync(sub, client=client, pagesize=10)
    assert isinstance(deliveries, models.WebhookDeliveryCollectionDocument)
    gone = module(hooks + "delete_webhook_subscription").sync_detailed(sub, client=client)
    assert gone.status_code == 204
