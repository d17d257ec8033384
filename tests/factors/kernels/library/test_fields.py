"""fields_of: the fields a formula reads, with group labels told apart from series."""

from apps.factors.kernels.library import LIBRARY, fields_of


def test_fields_of_names_each_field_once_with_its_kind():
    formula = "cs_neutralize($close / delay($close, 1), $industry) * ts_mean($volume * $vwap, 20) + $close"
    assert fields_of(formula) == {
        "close": "series",
        "industry": "group",
        "volume": "series",
        "vwap": "series",
    }


def test_fields_of_a_formula_without_fields_is_empty():
    assert fields_of("1 + 2") == {}


def test_library_sets():
    assert set(LIBRARY) == {"alpha158", "alpha101"}
    assert (len(LIBRARY["alpha158"]), len(LIBRARY["alpha101"])) == (158, 101)
