"""Mixed officer traffic for the load test (run by ``bench/load.py``, which prepares the
sessions and the ids in ``LOAD_FIXTURE``): the member list and search, the home and campaign
dashboards, a member's page, the API's member list, and a transfer requested and withdrawn
(two writes, so the database ends as it began). Each simulated officer works back to back
(no think time): the figures are the site's capacity, not a model of office hours."""

from __future__ import annotations

import json
import os
import random
import re

from locust import HttpUser, constant, task

FIXTURE = json.loads(open(os.environ["LOAD_FIXTURE"], encoding="utf-8").read())  # noqa: SIM115


class Officer(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.who = random.choice(FIXTURE["sessions"])
        self.client.cookies.set("sessionid", self.who["sessionid"])
        self.client.cookies.set("csrftoken", self.who["csrftoken"])
        self.org = self.who["org"]

    def _get(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")

    @task(5)
    def member_list(self) -> None:
        page = random.randint(1, 50)
        self._get(f"/members/?org={self.org}&page={page}", "member list (district, page n)")

    @task(3)
    def member_search(self) -> None:
        q = random.choice(FIXTURE["searches"])
        self._get(f"/members/?q={q}", "member search (pinyin initials)")

    @task(2)
    def home(self) -> None:
        self._get("/", "home dashboard")

    @task(2)
    def campaign(self) -> None:
        self._get(f"/campaigns/{FIXTURE['campaign']}/", "campaign dashboard")

    @task(3)
    def member(self) -> None:
        pk = random.choice(self.who["members"])
        self._get(f"/members/{pk}/", "member page")

    @task(3)
    def api_members(self) -> None:
        page = random.randint(1, 50)
        self._get(f"/api/members/?org={self.org}&page={page}", "API member list")

    @task(1)
    def transfer(self) -> None:
        """Request a transfer to a neighbouring branch, then withdraw it."""
        pk, target = random.choice(self.who["movers"])
        headers = {"X-CSRFToken": self.who["csrftoken"], "Referer": self.host + "/"}
        with self.client.post(
            f"/members/{pk}/transfer/",
            data={
                "kind": "in_city",
                "to_org": target,
                "reason": "负载测试",
                "csrfmiddlewaretoken": self.who["csrftoken"],
            },
            headers=headers,
            allow_redirects=False,
            name="transfer: request",
            catch_response=True,
        ) as response:
            match = re.search(r"/members/transfers/(\d+)/", response.headers.get("Location", ""))
            if response.status_code != 302 or not match:
                # Another simulated officer holds this member's open transfer: not an error
                # of the site (the form says so), but not a write either.
                if response.status_code == 200 and "转接" in response.text:
                    response.success()
                else:
                    response.failure(f"{response.status_code}")
                return
        with self.client.post(
            f"/members/transfers/{match.group(1)}/withdraw/",
            data={"withdraw-reason": "负载测试撤回", "csrfmiddlewaretoken": self.who["csrftoken"]},
            headers=headers,
            allow_redirects=False,
            name="transfer: withdraw",
            catch_response=True,
        ) as response:
            if response.status_code not in (200, 302):
                response.failure(f"{response.status_code}")
