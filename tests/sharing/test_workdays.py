"""Decision deadlines count working days on the bureau's calendar: weekends off, public holidays off,
make-up working days (调休) on; the number of days is a setting because jurisdictions differ."""

from datetime import date

import pytest
from django.utils import timezone

from sharing import services
from sharing.models import Holiday
from sharing.workdays import add_working_days

pytestmark = pytest.mark.django_db

FRIDAY = date(2025, 9, 26)
MONDAY = date(2025, 9, 15)


@pytest.fixture
def national_day_2025(db):
    """The State Council's 2025 National Day and Mid-Autumn arrangement: 1–8 October off,
    Sunday 28 September and Saturday 11 October worked."""
    for day in range(1, 9):
        Holiday.objects.create(date=date(2025, 10, day), name="国庆节、中秋节")
    Holiday.objects.create(date=date(2025, 9, 28), name="国庆节调休", is_working_day=True)
    Holiday.objects.create(date=date(2025, 10, 11), name="国庆节调休", is_working_day=True)


def test_start_day_itself_does_not_count():
    assert add_working_days(MONDAY, 1) == date(2025, 9, 16)


def test_weekend_is_skipped():
    assert add_working_days(FRIDAY, 1) == date(2025, 9, 29)


def test_ten_working_days_without_holidays_are_two_calendar_weeks():
    assert add_working_days(MONDAY, 10) == date(2025, 9, 29)


def test_zero_working_days_is_the_start_day():
    assert add_working_days(MONDAY, 0) == MONDAY


def test_public_holidays_are_skipped(national_day_2025):
    # Tuesday 30 September: the next working day is Thursday 9 October.
    assert add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)


def test_make_up_working_day_on_a_weekend_counts(national_day_2025):
    # Friday 26 September: Sunday 28 September is worked.
    assert add_working_days(FRIDAY, 1) == date(2025, 9, 28)


def test_make_up_saturday_counts(national_day_2025):
    # Thursday 9, Friday 10, Saturday 11 (worked) October.
    assert add_working_days(date(2025, 10, 8), 3) == date(2025, 10, 11)


def test_deadline_across_the_national_day_holiday(national_day_2025):
    # From Friday 26 September: 28, 29, 30 September, then 9, 10, 11, 13, 14, 15, 16 October.
    assert add_working_days(FRIDAY, 10) == date(2025, 10, 16)


def test_calendar_is_read_in_one_query_however_long_the_span(national_day_2025, django_assert_num_queries):
    with django_assert_num_queries(1):
        add_working_days(FRIDAY, 60)


# --- The decision deadline of a request -------------------------------------------------------


def test_submission_sets_the_decision_deadline_in_working_days(conditional_draft, liaison_a, settings):
    settings.SHARE_DECISION_WORKING_DAYS = 10

    services.agreement_submit(agreement=conditional_draft, actor=liaison_a)

    assert conditional_draft.decision_due == add_working_days(timezone.localdate(), 10)


def test_decision_deadline_follows_the_setting(conditional_draft, liaison_a, settings):
    settings.SHARE_DECISION_WORKING_DAYS = 3

    services.agreement_submit(agreement=conditional_draft, actor=liaison_a)

    assert conditional_draft.decision_due == add_working_days(timezone.localdate(), 3)
    assert conditional_draft.decision_due < add_working_days(timezone.localdate(), 10)


def test_decision_deadline_skips_a_holiday_in_the_bureaus_calendar(conditional_draft, liaison_a, settings):
    settings.SHARE_DECISION_WORKING_DAYS = 1
    today = timezone.localdate()
    without_holiday = add_working_days(today, 1)
    Holiday.objects.create(date=without_holiday, name="临时休假")

    services.agreement_submit(agreement=conditional_draft, actor=liaison_a)

    assert conditional_draft.decision_due > without_holiday
