"""``$filter`` and ``$select``: the grammar, and the query strings the clients send."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from alphacast.emulator._filters import compile_filter, select_columns
from alphacast.emulator._model import Column, HttpError

from .conftest import Api

COLUMNS = [
    Column(0, "Date", "Date", False, "%Y-%m-%d"),
    Column(1, "country", "String", True),
    Column(2, "gdp", "Number", False),
    Column(3, "note", "String", False),
]
CSV = (
    "Date,country,gdp,note\n2020-01-01,AR,1,a\n2020-01-01,UY,2,b\n"
    "2021-01-01,AR,3,it's\n2021-01-01,UY,4,\n2022-06-15,CL,5,c\n"
)


def test_the_0_1_9_grammar_compiles_to_parameterised_sql():
    text = "'Date' ge 2020-01-01T00:00:00 and 'Date' le 2021-01-01T00:00:00 and ('country' eq 'Argentina' or 'country' eq 'Uruguay')"
    sql, params = compile_filter(text, COLUMNS)
    assert sql == "c0 >= ? AND c0 <= ? AND (c1 = ? OR c1 = ?)"
    assert params == ["2020-01-01T00:00:00", "2021-01-01T00:00:00", "Argentina", "Uruguay"]


def test_more_of_the_grammar():
    assert compile_filter("gdp eq 1 or gdp eq 2 and note eq 'a'", COLUMNS)[0] == "c2 = ? OR c2 = ? AND c3 = ?"
    assert compile_filter("", COLUMNS) == ("1", [])
    assert compile_filter("gdp gt 2.5", COLUMNS) == ("c2 > ?", [2.5])
    assert compile_filter("not (gdp lt 2)", COLUMNS) == ("(NOT (c2 < ?))", [2])
    assert compile_filter("note eq null", COLUMNS) == ("c3 IS NULL", [])
    assert compile_filter("note ne null", COLUMNS) == ("c3 IS NOT NULL", [])
    assert compile_filter("'note' eq 'it''s'", COLUMNS) == ("c3 = ?", ["it's"])
    assert compile_filter("Date eq 2020-01-01", COLUMNS) == ("c0 = ?", ["2020-01-01T00:00:00"])


@pytest.mark.parametrize("text", [
    "'nope' eq 1", "gdp is 1", "gdp eq", "(gdp eq 1", "gdp eq 1)", "Date ge yesterday", "gdp eq 1 junk", "'open",
])
def test_bad_filters_are_400(text):
    with pytest.raises(HttpError) as info:
        compile_filter(text, COLUMNS)
    assert info.value.status == 400 and info.value.message


def test_select_keeps_the_key_columns():
    assert [c.source_name for c in select_columns("note", COLUMNS)] == ["Date", "country", "note"]
    assert [c.source_name for c in select_columns(None, COLUMNS)] == ["Date", "country", "gdp", "note"]
    with pytest.raises(HttpError):
        select_columns("gdp,missing", COLUMNS)


@pytest.fixture(scope="module")
def loaded(emu):
    from .conftest import ALICE

    api = Api(emu, ALICE)
    dataset = api.dataset()
    assert api.load(dataset, CSV)["status"] == "Processed"
    yield api, dataset
    api.close()


def test_filters_as_0_1_9_sends_them_leading_ampersand_and_percent_encoded(loaded):
    api, dataset = loaded
    query = urlencode({"$filter": "'Date' ge 2021-01-01T00:00:00 and ('country' eq 'UY' or 'country' eq 'CL')",
                       "$select": "gdp"})
    assert "%24filter" in query
    r = api.get(f"/datasets/{dataset}/data?&{query}&$format=csv")
    assert r.status_code == 200, r.text
    assert r.text == "Date,country,gdp\n2021-01-01,UY,4\n2022-06-15,CL,5\n"


def test_filters_with_plain_dollar_and_an_end_date(loaded):
    api, dataset = loaded
    rows = api.rows(dataset, "&$filter='Date' le 2020-12-31T00:00:00")
    assert [(r["Date"], r["country"]) for r in rows] == [("2020-01-01", "AR"), ("2020-01-01", "UY")]
    rows = api.rows(dataset, "&%24filter=gdp%20ge%204&%24select=note")
    assert rows == [{"Date": "2021-01-01", "country": "UY", "note": None},
                    {"Date": "2022-06-15", "country": "CL", "note": "c"}]


def test_bad_filter_over_http_is_400_with_a_message(loaded):
    api, dataset = loaded
    r = api.get(f"/datasets/{dataset}/data?$filter='population' eq 3")
    assert r.status_code == 400 and "population" in r.json()["message"]
    r = api.get(f"/datasets/{dataset}/data?$select=population")
    assert r.status_code == 400
