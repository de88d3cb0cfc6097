"""The four desensitization methods: what each keeps, what it hides, and what it refuses."""

from datetime import date

import pytest

from operations.choices import DesensitizationMethod, Generalization
from operations.desensitize import RuleError, apply, check_rule, generalize, mask, pseudonymize, suppress

ID_NUMBER = "110105199001011234"


# --- Masking --------------------------------------------------------------------------------


def test_mask_keeps_the_configured_prefix_and_suffix():
    assert mask(ID_NUMBER, keep_prefix=6, keep_suffix=4) == "110105" + "*" * 8 + "1234"


def test_mask_by_default_keeps_three_leading_and_four_trailing_characters():
    assert mask(ID_NUMBER) == "110" + "*" * 11 + "1234"


def test_mask_of_a_value_shorter_than_prefix_and_suffix_still_hides_something():
    masked = mask("1234567", keep_prefix=3, keep_suffix=4)

    assert masked != "1234567"
    assert masked == "123****"


@pytest.mark.parametrize("value", ["张", "张三", "abc", "13812"])
def test_mask_never_returns_a_short_value_unmasked(value):
    masked = mask(value, keep_prefix=3, keep_suffix=4)

    assert masked != value
    assert len(masked) == len(value)
    assert "*" in masked


def test_mask_refuses_a_negative_prefix():
    with pytest.raises(RuleError):
        mask(ID_NUMBER, keep_prefix=-1, keep_suffix=4)


# --- Generalization -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1990-05-17", "1990/05/17", "19900517", "1990年5月17日", date(1990, 5, 17)])
def test_generalize_date_to_month_accepts_the_usual_formats(value):
    assert generalize(value, kind=Generalization.DATE_TO_MONTH) == "1990-05"


@pytest.mark.parametrize("value", ["1990-05-17", "1990/05/17", "19900517", "1990年05月17日"])
def test_generalize_date_to_year_keeps_only_the_year(value):
    assert generalize(value, kind=Generalization.DATE_TO_YEAR) == "1990"


@pytest.mark.parametrize("value", ["yesterday", "1990-13-01", "17/05/1990", ""])
def test_generalize_refuses_what_is_not_a_date(value):
    with pytest.raises(RuleError):
        generalize(value, kind=Generalization.DATE_TO_MONTH)


@pytest.mark.parametrize(
    ("value", "width", "expected"),
    [("37", 10, "30–39"), ("30", 10, "30–39"), ("0", 5, "0–4"), ("1234.5", 100, "1200–1299"), ("-5", 10, "-10–-1")],
)
def test_generalize_number_to_range(value, width, expected):
    assert generalize(value, kind=Generalization.NUMBER_TO_RANGE, width=width) == expected


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity", ""])
def test_generalize_refuses_what_is_not_a_number(value):
    with pytest.raises(RuleError):
        generalize(value, kind=Generalization.NUMBER_TO_RANGE)


def test_generalize_refuses_a_range_width_that_is_not_positive():
    with pytest.raises(RuleError):
        generalize("42", kind=Generalization.NUMBER_TO_RANGE, width=0)


@pytest.mark.parametrize(
    ("address", "district"),
    [
        # province + prefecture-level city + district
        ("浙江省杭州市西湖区文三路90号", "浙江省杭州市西湖区"),
        # municipality + district, municipality + county
        ("北京市朝阳区建国路1号", "北京市朝阳区"),
        ("上海市浦东新区世纪大道100号", "上海市浦东新区"),
        ("重庆市巫山县巫峡镇广东中路", "重庆市巫山县"),
        # autonomous region + city + district; league + banner
        ("新疆维吾尔自治区乌鲁木齐市天山区解放北路", "新疆维吾尔自治区乌鲁木齐市天山区"),
        ("内蒙古自治区阿拉善盟阿拉善左旗巴彦浩特镇", "内蒙古自治区阿拉善盟阿拉善左旗"),
        # autonomous prefecture + county, autonomous prefecture + county-level city
        ("四川省凉山彝族自治州昭觉县新城镇", "四川省凉山彝族自治州昭觉县"),
        ("吉林省延边朝鲜族自治州延吉市光明街", "吉林省延边朝鲜族自治州延吉市"),
        # county-level city under a prefecture-level city
        ("江苏省苏州市昆山市玉山镇前进路", "江苏省苏州市昆山市"),
        # prefecture (地区) + county-level city
        ("黑龙江省大兴安岭地区漠河市西林吉镇", "黑龙江省大兴安岭地区漠河市"),
        # districts whose own names contain 市
        ("湖北省荆州市沙市区北京中路", "湖北省荆州市沙市区"),
        ("山东省济南市市中区经七路", "山东省济南市市中区"),
        # no province given
        ("杭州市西湖区文三路90号", "杭州市西湖区"),
    ],
)
def test_generalize_address_to_district_or_county(address, district):
    assert generalize(address, kind=Generalization.ADDRESS_TO_DISTRICT) == district


@pytest.mark.parametrize(
    ("address", "district"),
    [
        ("浙江省杭州市西湖区省府路8号", "浙江省杭州市西湖区"),
        ("杭州市上城区省府大楼3号", "杭州市上城区"),
        ("湖南省长沙市芙蓉区省政府路", "湖南省长沙市芙蓉区"),
    ],
)
def test_generalize_address_does_not_take_a_province_in_the_street_name_for_one(address, district):
    assert generalize(address, kind=Generalization.ADDRESS_TO_DISTRICT) == district


@pytest.mark.parametrize("address", ["省府路8号", "文三路90号", ""])
def test_generalize_address_without_district_is_refused(address):
    with pytest.raises(RuleError):
        generalize(address, kind=Generalization.ADDRESS_TO_DISTRICT)


def test_generalize_refuses_an_unknown_kind():
    with pytest.raises(RuleError):
        generalize("1990-05-17", kind="date_week")


# --- Pseudonymization and suppression -------------------------------------------------------


def test_pseudonymize_is_stable_under_one_key():
    assert pseudonymize(ID_NUMBER, key=b"product-1") == pseudonymize(ID_NUMBER, key=b"product-1")


def test_pseudonymize_differs_between_keys():
    assert pseudonymize(ID_NUMBER, key=b"product-1") != pseudonymize(ID_NUMBER, key=b"product-2")


def test_pseudonymize_differs_for_different_inputs():
    assert pseudonymize(ID_NUMBER, key=b"product-1") != pseudonymize("110105199001011235", key=b"product-1")


def test_pseudonymize_does_not_reveal_the_value():
    token = pseudonymize("张三", key=b"product-1")

    assert "张三" not in token
    assert len(token) == 32


def test_pseudonymize_needs_a_key():
    with pytest.raises(RuleError):
        pseudonymize(ID_NUMBER, key=b"")


def test_suppress_returns_empty():
    assert suppress(ID_NUMBER) == ""


# --- apply: the one entry point ------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "value", "params", "expected"),
    [
        (DesensitizationMethod.MASK, ID_NUMBER, {"keep_prefix": 6, "keep_suffix": 4}, "110105********1234"),
        (DesensitizationMethod.GENERALIZE, "1990-05-17", {"kind": Generalization.DATE_TO_YEAR}, "1990"),
        (DesensitizationMethod.GENERALIZE, "47", {"kind": Generalization.NUMBER_TO_RANGE, "width": "20"}, "40–59"),
        (DesensitizationMethod.SUPPRESS, ID_NUMBER, {}, ""),
    ],
)
def test_apply_dispatches_to_the_method(method, value, params, expected):
    assert apply(method, value, params) == expected


def test_apply_pseudonymizes_with_the_given_key():
    assert apply(DesensitizationMethod.PSEUDONYMIZE, ID_NUMBER, {}, key=b"k") == pseudonymize(ID_NUMBER, key=b"k")


def test_apply_rejects_an_unknown_method():
    with pytest.raises(RuleError, match="encrypt"):
        apply("encrypt", ID_NUMBER, {})


@pytest.mark.parametrize(
    ("method", "params"),
    [
        (DesensitizationMethod.MASK, {"keep_prefix": "three"}),
        (DesensitizationMethod.MASK, {"keep_suffix": 1.5}),
        (DesensitizationMethod.MASK, {"keep_prefix": True}),
        (DesensitizationMethod.GENERALIZE, {"kind": Generalization.NUMBER_TO_RANGE, "width": "wide"}),
        (DesensitizationMethod.MASK, ["keep_prefix", 3]),
    ],
)
def test_apply_turns_bad_parameters_into_a_rule_error(method, params):
    with pytest.raises(RuleError):
        apply(method, ID_NUMBER, params)


def test_check_rule_accepts_an_address_rule():
    check_rule(DesensitizationMethod.GENERALIZE, {"kind": Generalization.ADDRESS_TO_DISTRICT})


def test_check_rule_refuses_a_generalization_without_kind():
    with pytest.raises(RuleError):
        check_rule(DesensitizationMethod.GENERALIZE, {})
