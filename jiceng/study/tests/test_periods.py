"""Study periods and requirements (S9): city-wide reference data that the city's organisation
department sets on a page; others read them and are refused when they try to set them."""

from __future__ import annotations

from django.urls import reverse

from jiceng.campaigns.tests.factories import login_as
from jiceng.study.models import StudyPeriod, StudyRequirement

from .factories import city_study_admin


def test_the_city_creates_a_period_and_sets_a_requirement(client, db):
    login_as(client, city_study_admin())
    response = client.post(
        reverse("study:periods"),
        {"name": "2006 年上半年", "starts_on": "2006-01-01", "ends_on": "2006-06-30"},
    )
    period = StudyPeriod.objects.get(name="2006 年上半年")
    assert response["Location"] == reverse("study:period", args=[period.pk])
    response = client.post(
        reverse("study:period", args=[period.pk]),
        {
            "mode": "credits",
            "sector": "new_economic",
            "required_amount": "20",
            "source_note": "两新组织党员学分制（S9）",
        },
    )
    assert response.status_code == 302
    assert StudyRequirement.objects.get(period=period).required_amount == 20
    page = client.get(reverse("study:periods")).content.decode()
    assert "2006 年上半年" in page


def test_a_district_officer_reads_periods_but_cannot_set_them(client, small):
    login_as(client, small.alice)
    assert client.get(reverse("study:periods")).status_code == 200
    response = client.post(
        reverse("study:periods"),
        {"name": "越权", "starts_on": "2006-01-01", "ends_on": "2006-06-30"},
    )
    assert "由市委组织部设定" in response.content.decode()
    assert not StudyPeriod.objects.filter(name="越权").exists()
    response = client.post(
        reverse("study:periods"),
        {"name": "错", "starts_on": "2006-06-30", "ends_on": "2006-01-01"},
    )
    assert response.status_code == 200
    assert not StudyPeriod.objects.filter(name="错").exists()
