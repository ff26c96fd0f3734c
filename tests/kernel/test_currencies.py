"""One list of currencies: ISO 4217 codes, upper case, are the only ones a model accepts."""

import pytest
from django.core.exceptions import ValidationError

from kernel.currencies import validate_currency


@pytest.mark.parametrize("code", ["EUR", "USD", "JPY", "TRY"])
def test_iso_4217_codes_are_accepted(code):
    validate_currency(code)


@pytest.mark.parametrize("code", ["eur", "XYZ", "", "EURO"])
def test_anything_else_is_refused_with_its_code(code):
    with pytest.raises(ValidationError) as refused:
        validate_currency(code)
    assert refused.value.code == "invalid_currency"
