"""Lambda SnapStart (the template's SnapStart parameter): the runtime hooks that make a
copy restored from the snapshot start warm, and unlike its siblings.

Before the snapshot (`warm`), what a request would otherwise do first: the handler module
is imported by then; the DynamoDB client is created and the provider catalog read (one
Query, which also loads the parts of botocore that its first request loads: credentials,
endpoint rules, serializer and parser); every module the function imports on a route's
first use is imported (`imports.import_deferred`), and whatever `register`'s arguments
prepare. Then the client's
connections are closed: the snapshot holds no open socket, each restored copy opens its
own (two copies never continue one TLS session).

After restore (`renew`), what must not be shared by the copies restored from one snapshot:
- `random`'s state: seeded once at import, it would be the same in every copy, and so
  would botocore's retry jitter (every copy backing off in step) and Powertools' log
  sampling. It is reseeded from os.urandom. `uuid.uuid4` (membership ids, Concur keys)
  and `secrets` read os.urandom on every call: unique already.
- the catalog's age: a restored copy's monotonic clock goes on from the snapshot's, so a
  catalog read before a snapshot taken days ago would look seconds old. It is forgotten;
  the first request reads it again (one Query), as in a cold container.

`snapshot_restore_py` comes with the managed python3.12+ runtimes; elsewhere (tests, the
local front, a runtime without it) `register` registers nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from loyalty_core.errors import StorageUnavailable
from loyalty_core.imports import import_deferred
from loyalty_core.observability import logger
from loyalty_core.settings import dynamodb_client, get_repository

Warmer = Callable[[], object]


def register(*warmers: Warmer, store: bool = True) -> bool:
    """Register the hooks with the runtime, if it has SnapStart's; True if it did.
    `store=False` for a function that never touches the table (the API reference)."""
    try:
        import snapshot_restore_py  # type: ignore[import-not-found]
    except ImportError:
        return False
    snapshot_restore_py.register_before_snapshot(warm, warmers, store=store)
    snapshot_restore_py.register_after_restore(renew, store=store)
    return True


def warm(warmers: Sequence[Warmer] = (), store: bool = True) -> None:
    """Before the snapshot: client, catalog and lazy imports ready, no connection open."""
    import_deferred()
    for prepare in warmers:
        prepare()
    if not store:
        return
    repo = get_repository()
    try:
        repo.providers()
    except StorageUnavailable as err:  # warming is an optimisation: publish anyway
        logger.warning(
            "SnapStart: the catalog could not be read before the snapshot",
            cause=repr(err.__cause__),
        )
    dynamodb_client().close()


def renew(store: bool = True) -> None:
    """After restore: this copy's own random state; the catalog read again when next used."""
    random.seed()
    if store:
        get_repository().forget_catalog()
