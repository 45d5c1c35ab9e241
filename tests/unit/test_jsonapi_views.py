"""The JSON:API codec's views: the query parameters a route reads (paging, sort, include,
sparse fieldsets), the order, the links that keep the view, compound documents."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_core import errors as e
from loyalty_core.interfaces.links import PublicUrl
from loyalty_core.interfaces.locomote import parameters, resources, views
from loyalty_core.models import MEMBERSHIP_ATTRIBUTES, Membership, Provider
from loyalty_core.models.provider import VendorType

URL = PublicUrl("https://api.example/v1")
LIST = parameters.Parameters(resources.MEMBERSHIPS, collection=True, include=("loyalty_provider",))
ONE = parameters.Parameters(resources.MEMBERSHIPS, include=("loyalty_provider",))
PROVIDER_LIST = parameters.Parameters(resources.PROVIDERS, collection=True, filters=("category",))
NOTHING = parameters.Parameters()
HILTON = Provider(id="hh", name="Hilton Honors", vendor_type=VendorType.HOTEL, vendor_code="HH")
QANTAS = Provider(id="qf", name="Qantas", vendor_type=VendorType.AIR, vendor_code="QF")
CATALOG = {p.id: p for p in (HILTON, QANTAS)}
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def membership(n: int, provider: str = "hh", **values: Any) -> Membership:
    """The n-th membership created (ids in reverse, so that id order is not creation order)."""
    fields: dict[str, Any] = {
        "id": f"{99 - n:02d}",
        "company": "acme",
        "employee_id": "098765",
        "provider_id": provider,
        "account_number": f"A{n}",
        "expires_on": date(2030, 1, 1),
        "created_at": T0 + timedelta(seconds=n),
        "updated_at": T0,
        **values,
    }
    return Membership(**fields)


def refused(query: dict[str, str], accepts: parameters.Parameters) -> list[str]:
    """The parameters a refused query is reported at (it must be refused)."""
    with pytest.raises(e.MalformedRequest) as refusal:
        parameters.read_query(query, accepts)
    assert all(p.kind == "parameter" for p in refusal.value.problems)
    return [str(p.location[0]) for p in refusal.value.problems]


# -- reading the query ----------------------------------------------------------


def test_no_query_is_the_default_view() -> None:
    assert parameters.read_query(None, LIST) == parameters.View()
    assert parameters.read_query({}, NOTHING) == parameters.View()


def test_a_whole_view_is_read() -> None:
    view = parameters.read_query(
        {
            "page[number]": "3",
            "page[size]": "100",
            "sort": "-expires_on,account_number",
            "include": "loyalty_provider",
            "fields[loyalty_memberships]": "level,loyalty_provider",
            "fields[loyalty_providers]": "",
        },
        LIST,
    )
    assert view.page == parameters.Page(3, 100)
    assert view.sort == (
        parameters.SortKey("expires_on", descending=True),
        parameters.SortKey("account_number"),
    )
    assert view.include == ("loyalty_provider",)
    assert view.fields == {
        "loyalty_memberships": ("level", "loyalty_provider"),
        "loyalty_providers": (),
    }


@pytest.mark.parametrize(
    "query",
    [
        {"page[size]": "101"},
        {"page[size]": "0"},
        {"page[number]": "x"},
        {"page[number]": "\uff11"},  # a full-width 1: not ASCII
        {"page[number]": "9999999999"},
    ],
)
def test_page_values_out_of_range_are_refused(query: dict[str, str]) -> None:
    assert refused(query, LIST) == list(query)


@pytest.mark.parametrize(
    ("accepts", "name"),
    [
        (ONE, "page[size]"),  # a single resource has no pages
        (ONE, "sort"),
        (NOTHING, "include"),  # DELETE answers nothing to shape
        (NOTHING, "fields[loyalty_memberships]"),
        (PROVIDER_LIST, "include"),  # a provider has no relationships
        (PROVIDER_LIST, "fields[loyalty_memberships]"),  # no memberships in that answer
        (LIST, "fields[users]"),  # users are never rendered as resources
        (LIST, "filter[category]"),
        (LIST, "page[offset]"),
        (LIST, "page"),
        (LIST, "filter"),
        (LIST, "ext"),  # a name of only a-z letters is JSON:API's
        (LIST, "my_family[x]"),
        (LIST, "fields[loyalty_memberships"),
        (LIST, "fields[]"),
        (PROVIDER_LIST, "filter[category"),
        (PROVIDER_LIST, "filter[category]]"),
    ],
)
def test_a_parameter_a_route_does_not_read_is_refused_by_name(
    accepts: parameters.Parameters, name: str
) -> None:
    assert refused({name: "created_at"}, accepts) == [name]


@pytest.mark.parametrize("name", ["employee_id", "_", "cacheBust", "x-trace"])
def test_implementation_specific_parameters_are_left_alone(name: str) -> None:
    assert parameters.read_query({name: "anything"}, NOTHING) == parameters.View()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("include", "user"),
        ("include", "loyalty_provider.foo"),
        ("include", "loyalty_provider,,loyalty_provider"),
        ("sort", ""),
        ("sort", "id"),
        ("sort", "--created_at"),
        ("sort", "created_at,name"),
        ("fields[loyalty_memberships]", "acount_number"),
        ("fields[loyalty_memberships]", "id"),  # id and type are not fields: always there
        ("fields[loyalty_providers]", "vendor_code"),
    ],
)
def test_a_value_a_parameter_does_not_take_is_refused(name: str, value: str) -> None:
    assert refused({name: value}, LIST) == [name]


def test_every_bad_parameter_is_reported_at_once() -> None:
    query = {"sort": "id", "include": "user", "page[size]": "0", "filter": "x"}
    assert sorted(refused(query, LIST)) == sorted(query)


def test_the_detail_names_what_a_parameter_takes_and_quotes_only_short_values() -> None:
    with pytest.raises(e.MalformedRequest) as refusal:
        parameters.read_query({"sort": "expires", "include": "u" * 500}, LIST)
    sort, include = refusal.value.problems
    assert "'expires'" in sort.detail
    assert "created_at, expires_on, account_number" in sort.detail
    assert include.detail == "cannot name a value: it takes loyalty_provider"


def test_a_field_sorted_by_twice_keeps_its_first_direction() -> None:
    view = parameters.read_query({"sort": "-created_at,account_number,created_at"}, LIST)
    assert [str(key) for key in view.sort] == ["-created_at", "account_number"]


def test_empty_lists_name_nothing() -> None:
    view = parameters.read_query({"include": "", "fields[loyalty_memberships]": ""}, LIST)
    assert view.include == ()
    assert view.fields == {"loyalty_memberships": ()}


def test_the_providers_sort_by_name_category_and_code() -> None:
    view = parameters.read_query({"sort": "category,-code,name"}, PROVIDER_LIST)
    assert [str(key) for key in view.sort] == ["category", "-code", "name"]
    assert refused({"sort": "created_at"}, PROVIDER_LIST) == ["sort"]


@given(st.dictionaries(st.text(max_size=20), st.text(max_size=30), max_size=6))
def test_any_query_is_read_or_refused_naming_parameters(query: dict[str, str]) -> None:
    try:
        parameters.read_query(query, LIST)
    except e.MalformedRequest as refusal:
        assert refusal.problems
        assert {str(p.location[0]) for p in refusal.problems} <= set(query)


# -- order ------------------------------------------------------------------------


def ordered(held: list[Membership], sort: str) -> list[str]:
    view = parameters.read_query({"sort": sort}, LIST)
    return [m.account_number for m in parameters.ordered(held, view, resources.MEMBERSHIPS)]


def test_no_sort_keeps_the_default_order() -> None:
    held = [membership(2), membership(1)]
    assert parameters.ordered(held, parameters.View(), resources.MEMBERSHIPS) == held


def test_sort_ascending_descending_and_by_several_keys() -> None:
    held = [
        membership(1, account_number="B", expires_on=date(2031, 1, 1)),
        membership(2, account_number="A", expires_on=date(2030, 1, 1)),
        membership(3, account_number="C", expires_on=date(2031, 1, 1)),
    ]
    assert ordered(held, "account_number") == ["A", "B", "C"]
    assert ordered(held, "-account_number") == ["C", "B", "A"]
    assert ordered(held, "expires_on,-account_number") == ["A", "C", "B"]
    assert ordered(held, "-expires_on,account_number") == ["B", "C", "A"]
    assert ordered(held, "-created_at") == ["C", "A", "B"]


def test_a_null_expiry_sorts_after_every_date_and_first_when_descending() -> None:
    held = [
        membership(1, account_number="N", expires_on=None),
        membership(2, account_number="D", expires_on=date(2030, 1, 1)),
    ]
    assert ordered(held, "expires_on") == ["D", "N"]
    assert ordered(held, "-expires_on") == ["N", "D"]


def test_ties_go_by_creation_then_id_whatever_the_input_order() -> None:
    same_time = {"created_at": T0, "expires_on": date(2030, 1, 1)}
    held = [
        membership(3, account_number="late"),
        membership(1, account_number="x", **same_time),  # id "98"
        membership(2, account_number="y", **same_time),  # id "97": first of the two
    ]
    assert ordered(held, "expires_on") == ["y", "x", "late"]
    assert ordered(held, "-expires_on") == ["y", "x", "late"]


@given(
    st.lists(
        st.tuples(st.sampled_from(["A", "B", "C"]), st.none() | st.dates()),
        max_size=12,
    ),
    st.sampled_from(["account_number", "-account_number", "expires_on", "-expires_on"]),
)
def test_sorting_is_a_permutation_ordered_by_its_key(
    values: list[tuple[str, date | None]], sort: str
) -> None:
    held = [
        membership(n, account_number=account, expires_on=expires)
        for n, (account, expires) in enumerate(values)
    ]
    view = parameters.read_query({"sort": sort}, LIST)
    result = list(parameters.ordered(held, view, resources.MEMBERSHIPS))
    assert sorted(m.id for m in result) == sorted(m.id for m in held)
    name = sort.removeprefix("-")
    keys = [(getattr(m, name) is None, getattr(m, name), m.created_at) for m in result]
    for before, after in itertools.pairwise(keys):
        if sort.startswith("-"):
            assert before[:2] >= after[:2]
        else:
            assert before[:2] <= after[:2]
        if before[:2] == after[:2]:
            assert before[2] < after[2]  # ties in creation order


# -- documents ----------------------------------------------------------------------


def page_of(held: list[Membership], query: dict[str, str]) -> dict[str, Any]:
    view = parameters.read_query(query, LIST)
    return views.membership_page(held, view, URL, "098765", CATALOG.get)


def test_paged_links_keep_the_view() -> None:
    held = [membership(n) for n in range(7)]
    doc = page_of(
        held,
        {
            "page[number]": "3",
            "page[size]": "3",
            "sort": "-created_at,account_number",
            "include": "loyalty_provider",
            "fields[loyalty_memberships]": "level,account_number",
        },
    )
    assert [d["id"] for d in doc["data"]] == [membership(0).id]
    assert doc["meta"] == {"total": 7}
    assert doc["links"]["next"] is None
    view = (
        "include=loyalty_provider&fields%5Bloyalty_memberships%5D=level,account_number"
        "&sort=-created_at,account_number"
        "&page%5Bnumber%5D=2&page%5Bsize%5D=3"
    )
    assert (
        doc["links"]["prev"]
        == f"https://api.example/v1/api/users/098765/loyalty_memberships?{view}"
    )


def test_relationships_link_to_what_they_name_and_have_no_self_link() -> None:
    resource = views.membership_resource(membership(1), URL)
    assert resource["relationships"]["loyalty_provider"] == {
        "links": {"related": "https://api.example/v1/api/loyalty_providers/hh"},
        "data": {"id": "hh", "type": "loyalty_providers"},
    }
    assert resource["relationships"]["user"] == {
        "links": {"related": "https://api.example/v1/api/users/098765/loyalty_memberships"},
        "data": {"id": "098765", "type": "users"},
    }


def test_included_holds_each_named_provider_once_in_the_order_first_named() -> None:
    held = [membership(1, "qf"), membership(2, "hh"), membership(3, "qf"), membership(4, "gone")]
    doc = page_of(held, {"include": "loyalty_provider"})
    assert [(p["type"], p["id"]) for p in doc["included"]] == [
        ("loyalty_providers", "qf"),
        ("loyalty_providers", "hh"),
    ]  # a provider gone from the catalog has nothing to include
    assert doc["included"][0] == views.provider_resource(QANTAS, URL)


def test_included_covers_only_the_page_shown() -> None:
    held = [membership(1, "qf"), membership(2, "hh")]
    doc = page_of(held, {"include": "loyalty_provider", "page[size]": "1", "page[number]": "2"})
    assert [p["id"] for p in doc["included"]] == ["hh"]
    empty = page_of(held, {"include": "loyalty_provider", "page[number]": "9"})
    assert (empty["data"], empty["included"]) == ([], [])


def test_without_include_there_is_no_included_member() -> None:
    assert "included" not in page_of([membership(1)], {})
    view = parameters.read_query({}, ONE)
    assert "included" not in views.membership_document(membership(1), view, URL, CATALOG.get)


def test_sparse_fieldsets_keep_named_fields_and_relationships_only() -> None:
    view = parameters.read_query(
        {
            "fields[loyalty_memberships]": "level,loyalty_provider",
            "fields[loyalty_providers]": "name",
            "include": "loyalty_provider",
        },
        ONE,
    )
    doc = views.membership_document(membership(1, level="Gold"), view, URL, CATALOG.get)
    data = doc["data"]
    assert list(data) == ["id", "type", "attributes", "relationships", "links", "meta"]
    assert data["attributes"] == {"level": "Gold"}
    assert list(data["relationships"]) == ["loyalty_provider"]
    assert doc["included"][0]["attributes"] == {"name": "Hilton Honors"}
    assert "relationships" not in doc["included"][0]


def test_an_empty_fieldset_leaves_identity_links_and_meta() -> None:
    view = parameters.read_query({"fields[loyalty_memberships]": ""}, ONE)
    data = views.membership_document(membership(1), view, URL, CATALOG.get)["data"]
    assert list(data) == ["id", "type", "links", "meta"]


def test_a_relationship_left_out_of_the_fieldset_still_includes() -> None:
    view = parameters.read_query(
        {"fields[loyalty_memberships]": "level", "include": "loyalty_provider"}, ONE
    )
    doc = views.membership_document(membership(1), view, URL, CATALOG.get)
    assert "relationships" not in doc["data"]
    assert [p["id"] for p in doc["included"]] == ["hh"]


def test_provider_documents_take_their_fieldset_and_sort() -> None:
    view = parameters.read_query(
        {"fields[loyalty_providers]": "code", "sort": "-name"}, PROVIDER_LIST
    )
    doc = views.provider_page([HILTON, QANTAS], view, URL)
    assert [p["attributes"] for p in doc["data"]] == [{"code": "QF"}, {"code": "HH"}]
    assert "fields%5Bloyalty_providers%5D=code&sort=-name" in doc["links"]["self"]
    one = views.provider_document(HILTON, view, URL)["data"]
    assert one["attributes"] == {"code": "HH"}


def test_the_fields_a_fieldset_may_name_are_those_rendered() -> None:
    resource = views.membership_resource(membership(1), URL)
    rendered = (*resource["attributes"], *resource["relationships"])
    assert parameters.FIELDS[resources.MEMBERSHIPS] == rendered
    assert tuple(resource["attributes"]) == MEMBERSHIP_ATTRIBUTES
    provider = views.provider_resource(HILTON, URL)
    assert parameters.FIELDS[resources.PROVIDERS] == tuple(provider["attributes"])
