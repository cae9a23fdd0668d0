"""The password policy (issue 14): Django's validators plus the guesses an attacker of this
site tries first — the published demo password, the city's and districts' names with a year,
the username. The demo accounts keep the published password (set by the scenario)."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from jiceng.accounts.models import User
from jiceng.accounts.roles import Role


@pytest.mark.parametrize(
    ("username", "password", "code"),
    [
        ("someone", "Jiceng@2005", "password_demo"),
        ("someone", "jiceng2005", "password_demo"),
        ("someone", "JICENG_2005!!", "password_demo"),
        ("someone", "基层2005基层2005", "password_demo"),
        ("someone", "shanghai2005", "password_place_name"),
        ("someone", "Shanghai@2005", "password_place_name"),
        ("someone", "上海市2005年10月", "password_place_name"),
        ("someone", "huangpu20051001", "password_place_name"),
        ("someone", "浦东新区2005!!", "password_place_name"),
        ("someone", "changning2005", "password_place_name"),
        ("someone", "minhang-2005!", "password_place_name"),
        ("someone", "ShanghaiXuhui1", "password_place_name"),
        ("pw.t5", "pw.t5pw.t5x", "password_username"),
        ("huangpu.officer", "officer2024!!", "password_username"),
        ("li.min", "Xx-li.min-2005", "password_username"),
    ],
)
def test_it_refuses_guessable_passwords(username, password, code):
    with pytest.raises(ValidationError) as exc:
        validate_password(password, User(username=username))

    assert code in {e.code for e in exc.value.error_list}


@pytest.mark.parametrize(
    "password", ["Xinmima@2005x", "dengta-qiaoliang-47", "黄浦江边的灯塔照亮47"]
)
def test_it_accepts_passwords_that_are_not_guesses(password):
    validate_password(password, User(username="pw.t5"))


def test_the_create_form_refuses_the_demo_password_in_chinese(client, sign_in, small):
    sign_in(small.alice)

    response = client.post(
        reverse("accounts:create"),
        {
            "username": "pw.t5",
            "display_name": "测试",
            "password": "Jiceng@2005",
            "role": Role.PARTY_WORKER,
            "organization": small.a.street.code,
        },
    )

    assert response.status_code == 200
    errors = response.context["form"].errors["password"]
    assert any("演示密码" in e for e in errors)
    assert not User.objects.filter(username="pw.t5").exists()


def test_the_create_form_refuses_a_password_built_from_the_username(client, sign_in, small):
    sign_in(small.alice)

    response = client.post(
        reverse("accounts:create"),
        {
            "username": "pw.t5",
            "display_name": "测试",
            "password": "pw.t5pw.t5x",
            "role": Role.PARTY_WORKER,
            "organization": small.a.street.code,
        },
    )

    assert any("用户名" in e for e in response.context["form"].errors["password"])
    assert not User.objects.filter(username="pw.t5").exists()


def test_the_demo_accounts_keep_the_published_password(world):
    # about the demo itself: its accounts are the scenario's, with the published password
    assert world.user("huangpu.officer").check_password("Jiceng@2005")
