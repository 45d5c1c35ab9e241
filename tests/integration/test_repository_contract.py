"""The in-memory repository and the DynamoDB one (on moto) keep the same contract."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from loyalty_core.auth import hash_token, token_id
from loyalty_core.errors import ConcurrentChange, Conflict, CredentialConflict, RequestInProgress
from loyalty_core.models import (
    MAX_MEMBERSHIPS_PER_USER,
    AccessToken,
    Application,
    ApplicationKind,
    AuditRecord,
    Change,
    Company,
    Membership,
    Provider,
    Role,
    User,
    VendorType,
)
from loyalty_core.models.audit import Action, entry
from loyalty_core.models.credentials import ApiToken, CredentialChange, IssuedToken
from loyalty_core.models.erasure import ErasureRecord
from loyalty_core.repository import KeyAnswer, KeyOwner, UserWrite
from tests.conftest import ORIGIN, commit
from tests.memory_repository import InMemoryRepository

JOHN = User(company="acme", employee_id="098765", name="John Smith", email="john@acme.example")
HILTON = Provider(id="hh", name="Hilton Honors", vendor_type=VendorType.HOTEL, vendor_code="HH")


@pytest.fixture(params=["memory", "dynamodb"])
def repo(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        memory = InMemoryRepository()
        memory.seed_user(JOHN)
        memory.add_provider(HILTON)
        yield memory
        return
    from local.admin import Admin
    from loyalty_core.settings import get_repository
    from tests.conftest import new_user

    request.getfixturevalue("dynamodb")  # moto, the template's table, demo data
    new_user("acme", "c098765", JOHN.name, "contract@acme.example")
    Admin(operator="tests").repo.put_providers([HILTON])
    yield _Renamed(get_repository())


class _Renamed:
    """The DynamoDB repository, with the contract's user living at acme/c098765."""

    def __init__(self, repo: Any) -> None:
        self.repo = repo

    def __getattr__(self, name: str) -> Any:
        return getattr(self.repo, name)

    def get_user_memberships(self, company: str, employee_id: str) -> Any:
        return self.repo.get_user_memberships(company, "c" + employee_id)

    def get_membership(self, company: str, employee_id: str, membership_id: str) -> Any:
        return self.repo.get_membership(company, "c" + employee_id, membership_id)

    def get_trail(self, company: str, employee_id: str, *args: Any, **kwargs: Any) -> Any:
        return self.repo.get_trail(company, "c" + employee_id, *args, **kwargs)

    def committed(self, company: str, employee_id: str, revision: int, audit_id: str) -> bool:
        return bool(self.repo.committed(company, "c" + employee_id, revision, audit_id))

    def commit(self, write: UserWrite) -> None:
        def renamed(ms: Any) -> list[Membership]:
            return [m.model_copy(update={"employee_id": "c" + m.employee_id}) for m in ms]

        key = write.key and replace(write.key, owner=self._owner(write.key.owner))
        self.repo.commit(
            replace(write, put=renamed(write.put), delete=renamed(write.delete), key=key)
        )

    @staticmethod
    def _owner(owner: KeyOwner) -> KeyOwner:
        return KeyOwner(owner.company, "c" + owner.employee_id)

    def claim_key(self, owner: KeyOwner, *args: Any) -> Any:
        return self.repo.claim_key(self._owner(owner), *args)

    def answer_key(self, key: KeyAnswer) -> None:
        self.repo.answer_key(replace(key, owner=self._owner(key.owner)))

    def release_key(self, owner: KeyOwner, *args: Any) -> None:
        self.repo.release_key(self._owner(owner), *args)


def membership(n: int, created: datetime) -> Membership:
    return Membership(
        id=f"00000000-0000-0000-0000-00000000000{n}",
        company="acme",
        employee_id="098765",
        provider_id="hh",
        account_number=f"A{n}",
        created_at=created,
        updated_at=created,
        point_total=n,
    )


def test_unknown_user_is_none(repo: Any) -> None:
    assert repo.get_user_memberships("acme", "nobody") is None
    assert repo.get_user_memberships("globex", "098765") is None


def test_commit_then_read_back_in_creation_order(repo: Any) -> None:
    now = datetime.now(UTC)
    snapshot = repo.get_user_memberships("acme", "098765")
    later, earlier = membership(1, now + timedelta(seconds=1)), membership(2, now)
    commit(repo, snapshot, put=[later, earlier])
    read = repo.get_user_memberships("acme", "098765")
    assert [m.account_number for m in read.memberships] == ["A2", "A1"]
    assert read.revision == snapshot.revision + 1
    one = repo.get_membership("acme", "098765", later.id)
    assert (one.point_total, one.created_at) == (1, later.created_at)


def test_a_stale_snapshot_cannot_commit(repo: Any) -> None:
    stale = repo.get_user_memberships("acme", "098765")
    commit(repo, stale, put=[membership(1, datetime.now(UTC))])
    with pytest.raises(ConcurrentChange):
        commit(repo, stale, put=[membership(2, datetime.now(UTC))])
    assert len(repo.get_user_memberships("acme", "098765").memberships) == 1


def test_delete(repo: Any) -> None:
    m = membership(1, datetime.now(UTC))
    commit(repo, repo.get_user_memberships("acme", "098765"), put=[m])
    commit(repo, repo.get_user_memberships("acme", "098765"), delete=[m])
    assert repo.get_membership("acme", "098765", m.id) is None


def test_the_store_refuses_a_write_past_the_limit(repo: Any) -> None:
    now = datetime.now(UTC)
    full = [
        membership(n, now).model_copy(update={"id": f"00000000-0000-0000-0000-{n:012d}"})
        for n in range(MAX_MEMBERSHIPS_PER_USER + 1)
    ]
    commit(repo, repo.get_user_memberships("acme", "098765"), put=full[:98])
    commit(repo, repo.get_user_memberships("acme", "098765"), put=full[98:100])
    at_limit = repo.get_user_memberships("acme", "098765")
    with pytest.raises(ConcurrentChange):
        commit(repo, at_limit, put=full[100:])
    commit(repo, at_limit, put=[full[0].model_copy(update={"point_total": 7})])  # an update
    assert repo.get_user_memberships("acme", "098765").count == MAX_MEMBERSHIPS_PER_USER


def test_providers(repo: Any) -> None:
    assert repo.get_provider("hh") == HILTON
    assert repo.get_provider("nope") is None
    assert HILTON in repo.providers()


def test_logins_are_found_however_many_are_asked(dynamodb: Any) -> None:
    from loyalty_core.settings import get_repository
    from tests.conftest import new_user

    emails = [f"guest{n}@acme.example" for n in range(130)]
    for n, email in enumerate(emails):
        new_user("acme", f"guest{n}", f"Guest {n}", email)
    found = get_repository().get_logins([*emails, "nobody@acme.example"])
    assert set(found) == set(emails)


def actions(page: Any) -> list[Action]:
    return [r.record.changes[0].action for r in page.records]


def test_the_trail_pages_newest_first_by_revision_and_keeps_its_count(repo: Any) -> None:
    now = datetime.now(UTC)
    before = repo.get_trail("acme", "098765", now, 100).total
    m = membership(1, now)
    commit(repo, repo.get_user_memberships("acme", "098765"), put=[m])
    commit(
        repo,
        repo.get_user_memberships("acme", "098765"),
        put=[m.model_copy(update={"level": "Gold"})],
    )
    commit(repo, repo.get_user_memberships("acme", "098765"), delete=[m])
    now = datetime.now(UTC)
    top = repo.get_trail("acme", "098765", now, 2)
    assert (top.total, top.newer, top.older) == (before + 3, False, True)
    assert actions(top) == [Action.DELETE, Action.UPDATE]
    assert top.records[1].record.changes[0].after == {"level": "Gold"}
    assert top.records[0].revision == top.records[1].revision + 1
    older = repo.get_trail("acme", "098765", now, 1, after=top.records[1].revision)
    assert (actions(older), older.total, older.newer) == ([Action.CREATE], None, True)
    newer = repo.get_trail("acme", "098765", now, 5, before=top.records[1].revision)
    assert (actions(newer), newer.total, newer.newer) == ([Action.DELETE], before + 3, False)
    past = repo.get_trail("acme", "098765", now, 5, skip=before + 3)
    assert (past.records, past.newer, past.older) == ((), True, False)
    assert past.edge == top.records[0].revision - before - 3
    nothing = repo.get_trail("acme", "098765", now, 5, after=1)
    assert (nothing.records, nothing.older) == ((), False)
    later = now + timedelta(days=repo.audit_retention_days + 2)
    assert repo.get_trail("acme", "098765", later, 100).total == 0
    assert repo.get_trail("acme", "098765", later, 100).records == ()
    assert repo.get_trail("acme", "nobody", now, 100) is None
    assert repo.get_trail("acme", "nobody", now, 100, before=5) is None


def test_the_trail_of_one_membership_reads_its_records_only(repo: Any) -> None:
    now = datetime.now(UTC)
    mine, other = membership(1, now), membership(2, now)
    commit(repo, repo.get_user_memberships("acme", "098765"), put=[mine, other])
    commit(
        repo,
        repo.get_user_memberships("acme", "098765"),
        put=[other.model_copy(update={"level": "A"})],
    )
    commit(repo, repo.get_user_memberships("acme", "098765"), delete=[mine])
    found = repo.get_trail("acme", "098765", now, 5, membership=mine.id)
    assert (actions(found), found.total) == ([Action.DELETE, Action.CREATE], None)
    assert (found.newer, found.older) == (False, False)
    first = repo.get_trail("acme", "098765", now, 1, membership=mine.id)
    assert (actions(first), first.older) == ([Action.DELETE], True)
    rest = repo.get_trail(
        "acme", "098765", now, 1, membership=mine.id, after=first.records[0].revision
    )
    assert (actions(rest), rest.older) == ([Action.CREATE], False)
    back = repo.get_trail(
        "acme", "098765", now, 5, membership=mine.id, before=rest.records[0].revision
    )
    assert (actions(back), back.newer) == ([Action.DELETE], False)
    assert len(repo.get_trail("acme", "098765", now, 5, membership=other.id).records) == 2
    assert repo.get_trail("acme", "098765", now, 5, membership="none").records == ()
    assert repo.get_trail("acme", "nobody", now, 5, membership=mine.id) is None


def test_a_shorter_retention_later_skips_the_newer_records_it_purges(repo: Any) -> None:
    """Records keep the expiry they were written with: after the retention is cut, newer
    records expire before older ones, and the read goes past them to fill the page."""
    now = datetime.now(UTC)
    m = membership(1, now)
    commit(repo, repo.get_user_memberships("acme", "098765"), put=[m])
    kept = repo.get_trail("acme", "098765", now, 100).total
    store = repo.repo if isinstance(repo, _Renamed) else repo
    store.audit_retention_days = 1
    for level in ("A", "B", "C"):
        m = m.model_copy(update={"level": level})
        commit(repo, repo.get_user_memberships("acme", "098765"), put=[m])
    later = now + timedelta(days=3)
    trail = repo.get_trail("acme", "098765", later, 2)
    assert trail.total == kept
    assert trail.records[0].record.changes[0].action is Action.CREATE  # past the three purged
    assert actions(repo.get_trail("acme", "098765", later, 2, membership=m.id)) == [Action.CREATE]


def test_a_commit_is_recognised_by_its_own_record_only(repo: Any) -> None:
    snapshot = repo.get_user_memberships("acme", "098765")
    mine = commit(repo, snapshot, put=[membership(1, datetime.now(UTC))])
    revision = snapshot.revision + 1
    assert repo.committed("acme", "098765", revision, mine.id)
    assert not repo.committed("acme", "098765", revision, "another-request")
    assert not repo.committed("acme", "098765", revision + 1, mine.id)


OWNER = KeyOwner("acme", "098765")


def claim(repo: Any, token: str, lease: float, over: str | None = None) -> Any:
    expires = int(datetime.now(UTC).timestamp()) + 3600
    return repo.claim_key(OWNER, "k1", "body1", token, lease, expires, over)


def test_a_key_is_held_by_one_claim_and_answered_by_its_commit(repo: Any) -> None:
    now = datetime.now(UTC).timestamp()
    assert claim(repo, "first", now + 10) is None
    held = claim(repo, "second", now + 10)
    assert (held.claim, held.request_hash, held.answer) == ("first", "body1", None)
    answer = {"status": 201, "headers": {"ETag": '"1"'}, "body": "{}"}
    expires = int(now) + 3600
    snapshot = repo.get_user_memberships("acme", "098765")
    late = KeyAnswer(OWNER, "k1", "second", answer, expires)
    with pytest.raises(RequestInProgress):  # not its claim: nothing of the write lands
        commit(repo, snapshot, put=[membership(1, datetime.now(UTC))], key=late)
    assert repo.get_user_memberships("acme", "098765").count == 0
    mine = KeyAnswer(OWNER, "k1", "first", answer, expires)
    commit(repo, snapshot, put=[membership(1, datetime.now(UTC))], key=mine)
    assert claim(repo, "third", now + 10).answer == answer


def test_a_key_whose_lease_ran_out_is_taken_over_only_by_naming_its_claim(repo: Any) -> None:
    now = datetime.now(UTC).timestamp()
    assert claim(repo, "first", now - 1) is None
    assert claim(repo, "second", now + 10).claim == "first"  # not named: still held
    assert claim(repo, "second", now + 10, over="first") is None
    assert claim(repo, "third", now + 10, over="first").claim == "second"
    with pytest.raises(RequestInProgress):
        repo.answer_key(KeyAnswer(OWNER, "k1", "first", {"status": 200}, int(now) + 60))
    repo.answer_key(KeyAnswer(OWNER, "k1", "second", {"status": 200}, int(now) + 60))
    assert claim(repo, "fourth", now + 10).answer == {"status": 200}


def test_a_released_key_is_free_and_an_answered_one_stays(repo: Any) -> None:
    now = datetime.now(UTC).timestamp()
    assert claim(repo, "first", now + 10) is None
    repo.release_key(OWNER, "k1", "other")  # not its holder: nothing happens
    assert claim(repo, "second", now + 10).claim == "first"
    repo.release_key(OWNER, "k1", "first")
    assert claim(repo, "second", now + 10) is None
    repo.answer_key(KeyAnswer(OWNER, "k1", "second", {"status": 200}, int(now) + 60))
    repo.release_key(OWNER, "k1", "second")  # answered: kept
    assert claim(repo, "third", now + 10).answer == {"status": 200}


# -- the directory port (DirectoryStore): each store on a company of its own ------------------


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "memory":
        yield InMemoryRepository()
        return
    from local.admin import Admin

    request.getfixturevalue("dynamodb")  # moto, the template's table, demo data
    yield Admin(operator="tests").repo


def person(employee_id: str, company: str = "initech", **fields: Any) -> User:
    email = f"{employee_id}@{company}.example"
    values = {"name": "A Person", "email": email, **fields}
    return User(company=company, employee_id=employee_id, **values)


def add(store: Any, *users: User) -> None:
    for user in users:
        created = entry("user_id", user.employee_id, None, {"name": user.name})
        store.add_user(user, AuditRecord.of(ORIGIN, [created]))


def change(store: Any, user: User, done: Change) -> None:
    """Commit `done` for `user`, as the unit of work sends it."""
    snapshot = store.get_user_memberships(user.company, user.employee_id)
    audit = AuditRecord.of(ORIGIN, snapshot.entries(done))
    store.commit(
        UserWrite(
            snapshot,
            audit,
            snapshot.count_after(done),
            done.put,
            done.delete,
            user=done.user,
            credentials=done.credentials,
        )
    )


TMC = Application(id="contract-tmc", name="TMC", kind=ApplicationKind.TMC)


def concur_token(secret: str, user: User, app: Application = TMC) -> AccessToken:
    digest = hash_token(secret)
    return AccessToken(token_id(digest), digest, app, user.company, user.employee_id)


def test_companies_and_users_are_added_once(store: Any) -> None:
    store.add_company(Company(id="initech", name="Initech"))
    assert store.get_company("initech") == Company(id="initech", name="Initech")
    assert store.get_company("nowhere") is None
    with pytest.raises(Conflict):
        store.add_company(Company(id="initech", name="Again"))
    add(store, person("peter"))
    assert store.get_user("initech", "peter") == person("peter")
    assert store.get_login("peter@initech.example").user == person("peter")
    assert store.get_user_memberships("initech", "peter").revision == 1
    assert store.get_trail("initech", "peter", datetime.now(UTC), 10).total == 1
    for taken in (
        person("peter", name="Other"),
        person("x").model_copy(update={"email": "peter@initech.example"}),
    ):
        with pytest.raises(Conflict):
            add(store, taken)
    assert store.get_user("initech", "x") is None


def test_a_companys_users_come_a_bounded_page_at_a_time(store: Any) -> None:
    add(store, *(person(e) for e in ("e", "b", "d", "a", "c")), person("z", company="globex"))
    pages, after = [], None
    while True:
        users, after = store.company_users("initech", after, 2)
        pages.append([u.employee_id for u in users])
        if after is None:
            break
    assert pages == [["a", "b"], ["c", "d"], ["e"]]
    whole, none_left = store.company_users("initech", None, 5)
    assert len(whole) == 5 and none_left is None and whole[0] == person("a")
    assert store.company_users("nowhere", None, 5) == ([], None)
    with pytest.raises(ValueError):
        store.company_users("initech", None, 0)
    change(
        store,
        person("b"),
        Change(
            put=(
                membership(1, datetime.now(UTC)).model_copy(
                    update={"company": "initech", "employee_id": "b"}
                ),
            )
        ),
    )
    assert store.membership_counts("initech", ["a", "b", "nobody"]) == {"a": 0, "b": 1}


def test_a_change_of_a_user_rewrites_their_profile_and_login(store: Any) -> None:
    add(store, person("ann"))
    arranger = person("ann", role=Role.ARRANGER, arranges=frozenset({"peter"}))
    change(store, person("ann"), Change(user=arranger))
    assert store.get_user("initech", "ann") == arranger
    assert store.get_login("ann@initech.example").user == arranger
    assert store.company_users("initech", None, 5)[0] == [arranger]
    assert store.get_user_memberships("initech", "ann").revision == 2


def test_api_tokens_are_added_and_revoked_in_the_login(store: Any) -> None:
    add(store, person("peter"))
    later = datetime(2031, 1, 1, tzinfo=UTC)
    issued = (ApiToken("t1", hash_token("one")), ApiToken("t2", hash_token("two"), later))
    change(store, person("peter"), Change(credentials=CredentialChange(api_tokens=issued)))
    login = store.get_login("peter@initech.example")
    assert login.token_hashes == {"t1": hash_token("one"), "t2": hash_token("two")}
    assert login.token_expiry == {"t1": None, "t2": later}
    change(store, person("peter"), Change(credentials=CredentialChange(api_tokens_revoked=("t1",))))
    assert set(store.get_login("peter@initech.example").token_hashes) == {"t2"}
    revision = store.get_user_memberships("initech", "peter").revision
    with pytest.raises(CredentialConflict):  # gone already: refused, nothing written
        change(
            store, person("peter"), Change(credentials=CredentialChange(api_tokens_revoked=("t1",)))
        )
    assert store.get_user_memberships("initech", "peter").revision == revision


def test_concur_tokens_are_issued_and_revoked_with_their_index_entries(store: Any) -> None:
    add(store, person("peter"))
    store.add_application(
        TMC, AuditRecord.of(ORIGIN, [entry("application_id", TMC.id, None, {"kind": "tmc"})])
    )
    token = concur_token("secret", person("peter"))
    change(store, person("peter"), Change(credentials=CredentialChange(concur_tokens=(token,))))
    assert store.get_access_token(token.token_hash) == token
    [issued] = store.application_tokens(TMC.id)
    assert issued == IssuedToken(TMC.id, token.token_id, token.token_hash, "initech", "peter")
    assert store.application_tokens(TMC.id, token.token_id[:5]) == [issued]
    assert store.application_tokens(TMC.id, "zzz") == []
    with pytest.raises(CredentialConflict):
        change(store, person("peter"), Change(credentials=CredentialChange(concur_tokens=(token,))))
    change(
        store,
        person("peter"),
        Change(credentials=CredentialChange(concur_tokens_revoked=(issued,))),
    )
    assert store.get_access_token(token.token_hash) is None
    assert store.application_tokens(TMC.id) == []
    with pytest.raises(CredentialConflict):
        change(
            store,
            person("peter"),
            Change(credentials=CredentialChange(concur_tokens_revoked=(issued,))),
        )
    assert "concur_tokens" not in store.erasure_plan("initech", "peter").removing


def test_an_application_is_added_once_and_its_update_reaches_its_tokens(store: Any) -> None:
    supplier = Application(
        id="contract-air",
        name="Air",
        kind=ApplicationKind.SUPPLIER,
        vendor_type="air",
        vendor_code="AA",
    )
    record = AuditRecord.of(
        ORIGIN, [entry("application_id", supplier.id, None, {"kind": "supplier"})]
    )
    store.add_application(supplier, record)
    assert store.get_application(supplier.id) == supplier and store.get_application("no") is None
    with pytest.raises(Conflict):
        store.add_application(supplier, record)
    add(store, person("peter"), person("paul"))
    tokens = [concur_token(u, person(u), supplier) for u in ("peter", "paul")]
    for token in tokens:
        change(
            store,
            person(token.employee_id),
            Change(credentials=CredentialChange(concur_tokens=(token,))),
        )
    certified = supplier.model_copy(update={"certified": True})
    assert store.update_application(certified, record) == 2
    assert store.get_application(supplier.id) == certified
    for token in tokens:
        assert store.get_access_token(token.token_hash).application == certified


def test_the_catalog_is_added_to_and_replaced(store: Any) -> None:
    renamed = HILTON.model_copy(update={"name": "Hilton"})
    store.put_providers([HILTON])
    store.put_providers([renamed])
    assert store.get_provider("hh") == renamed


def test_an_erasure_plan_counts_what_goes_and_erase_removes_it(store: Any) -> None:
    peter = person("peter")
    ann = person("ann", role=Role.ARRANGER)
    add(store, peter, ann, person("peter", company="globex"))
    change(store, ann, Change(user=ann.model_copy(update={"arranges": frozenset({"peter", "x"})})))
    store.add_application(
        TMC, AuditRecord.of(ORIGIN, [entry("application_id", TMC.id, None, {"kind": "tmc"})])
    )
    held = membership(1, datetime.now(UTC)).model_copy(
        update={"company": "initech", "employee_id": "peter"}
    )
    credentials = CredentialChange(
        api_tokens=(ApiToken("t1", hash_token("api")),),
        concur_tokens=(concur_token("concur", peter),),
    )
    change(store, peter, Change(put=(held,), credentials=credentials))
    store.claim_key(KeyOwner("initech", "peter"), "k1", "body", "c1", 0.0, 0)
    plan = store.erasure_plan("initech", "peter")
    assert store.erasure_plan("initech", "nobody") is None
    assert plan.removing == {
        "changes": 2,
        "concur_index": 1,
        "concur_tokens": 1,
        "concur_user_index": 1,
        "logins": 1,
        "memberships": 1,
        "other": 1,
        "profiles": 1,
        "trail_index": 1,
    }
    assert (plan.user, plan.revision, plan.removed, plan.api_tokens) == (peter, 2, {}, 1)
    [arranger] = plan.arrangers
    assert arranger.employee_id == "ann" and arranger.arranges == {"peter", "x"}
    kept = arranger.model_copy(update={"arranges": frozenset({"x"})})
    record = ErasureRecord.of(ORIGIN, plan.removing, 1, 1)
    store.erase(plan, [kept], record)
    assert store.get_user("initech", "peter") is None
    assert store.get_login("peter@initech.example") is None
    assert store.get_access_token(hash_token("concur")) is None
    assert store.application_tokens(TMC.id) == []
    assert store.get_user("initech", "ann") == kept
    assert store.get_login("ann@initech.example").user == kept
    assert store.get_user_memberships("initech", "ann").revision == 2  # no write of Ann's
    assert store.get_user("globex", "peter") is not None
    assert store.erasure_plan("initech", "peter") is None


def test_an_erasure_planned_before_a_write_is_refused(store: Any) -> None:
    add(store, person("peter"))
    plan = store.erasure_plan("initech", "peter")
    held = membership(1, datetime.now(UTC)).model_copy(
        update={"company": "initech", "employee_id": "peter"}
    )
    change(store, person("peter"), Change(put=(held,)))
    with pytest.raises(ConcurrentChange):
        store.erase(plan, [], ErasureRecord.of(ORIGIN, plan.removing, 0, 0))
    assert store.get_user("initech", "peter") is not None
    assert store.erasure_plan("initech", "peter").removing["memberships"] == 1


def test_an_interrupted_erasure_is_finished_as_the_record_it_began(store: Any) -> None:
    add(store, person("peter"))
    held = membership(1, datetime.now(UTC)).model_copy(
        update={"company": "initech", "employee_id": "peter"}
    )
    first = store.erasure_plan("initech", "peter")
    assert first.marked is None
    began = ErasureRecord.of(ORIGIN, first.removing, 0, 0)
    change(store, person("peter"), Change(put=(held,)))  # a write while it runs
    with pytest.raises(ConcurrentChange):
        store.erase(first, [], began)
    again = store.erasure_plan("initech", "peter")
    assert again.marked == began.header  # the profile names the record the erasure began
    finished = ErasureRecord.of(ORIGIN, again.removing, 0, 0, header=again.marked)
    assert finished.id == began.id and finished.occurred_at == began.occurred_at
    store.erase(again, [], finished)
    assert store.erasure_plan("initech", "peter") is None


def test_an_erasure_of_a_profile_another_run_marked_is_refused(store: Any) -> None:
    add(store, person("peter"))
    held = membership(1, datetime.now(UTC)).model_copy(
        update={"company": "initech", "employee_id": "peter"}
    )
    early = store.erasure_plan("initech", "peter")
    change(store, person("peter"), Change(put=(held,)))
    late = store.erasure_plan("initech", "peter")  # planned before the early run marked
    early_record = ErasureRecord.of(ORIGIN, early.removing, 0, 0)
    with pytest.raises(ConcurrentChange):  # the write: the early run's last step refused
        store.erase(early, [], early_record)
    with pytest.raises(ConcurrentChange):  # the profile names the early run's record
        store.erase(late, [], ErasureRecord.of(ORIGIN, late.removing, 0, 0))
    assert store.erasure_plan("initech", "peter").marked.id == early_record.id
