import pytest

from .factories import make_plan


@pytest.fixture
def plan(cast, school_year):
    return make_plan(cast, school_year)
