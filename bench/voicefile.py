"""Members of the public answering a satisfaction survey by token, for the load test (run by
``bench/voice.py``, which makes the survey and its tokens and writes them to ``VOICE_FIXTURE``).

Each task is one person with one printed token, doing what their phone's browser does: no
cookies at first; GET the token link (the page sets the CSRF cookie and carries the form's
token), then POST the answers with the CSRF token, the cookie and the ``Origin`` header a
browser sends; the answer is a 302 to the thank-you page (not fetched: it is a static page).
A token is never used twice: the tokens of a run are handed out in order (``bench/voice.py``
gives each run more than it can use). A run lasts ``VOICE_SECONDS`` from its first request:
then each person finishes the answer in hand and stops, and the last one ends the run, so every
answer the server stored was counted by Locust (a stop by ``--run-time`` can cut a person off
after the POST was sent and before its answer was counted)."""

from __future__ import annotations

import json
import os
import random
import re
import time
from urllib.parse import urlencode

import gevent
from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

FIXTURE = json.loads(open(os.environ["VOICE_FIXTURE"], encoding="utf-8").read())  # noqa: SIM115
TOKENS = iter(FIXTURE["tokens"])
SECONDS = float(os.environ["VOICE_SECONDS"])
STARTED: list[float] = []
ACTIVE: list[int] = [0]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
WORDS = [
    "希望延长办公时间",
    "窗口服务态度很好",
    "排队时间太长",
    "办事指南写得不清楚",
    "材料一次告知",
]


def answers(rng: random.Random) -> dict[str, str]:
    """A person's answers: a level of the scale, a choice, free text now and then."""
    data: dict[str, str] = {}
    for q in FIXTURE["questions"]:
        if q["kind"] == "text":
            data[f"q{q['pk']}"] = rng.choice(WORDS) if rng.random() < 0.3 else ""
        else:
            data[f"q{q['pk']}"] = str(rng.randrange(q["size"]))
    return data


class Person(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.rng = random.Random()
        ACTIVE[0] += 1

    def on_stop(self) -> None:
        ACTIVE[0] -= 1
        if ACTIVE[0] == 0 and self.environment.runner is not None:
            gevent.spawn_later(0.2, self.environment.runner.quit)

    @task
    def answer(self) -> None:
        if not STARTED:
            STARTED.append(time.monotonic())
        token = next(TOKENS, None)
        if token is None or time.monotonic() - STARTED[0] > SECONDS:
            raise StopUser
        self.client.cookiejar.clear()  # a new person, a new phone
        path = f"/satisfaction/t/{token}/"
        with self.client.get(
            path, name="survey: open the token link (GET)", catch_response=True
        ) as r:
            match = CSRF.search(r.text or "") if r.status_code == 200 else None
            if match is None:
                r.failure(f"{r.status_code}: no form")
                return
        data = {**answers(self.rng), "csrfmiddlewaretoken": match.group(1)}
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": self.host,
            "Referer": self.host + path,
        }
        with self.client.post(
            path,
            data=urlencode(data),
            headers=headers,
            allow_redirects=False,
            name="survey: submit the answers (POST)",
            catch_response=True,
        ) as r:
            if r.status_code != 302 or "/satisfaction/thanks/" not in r.headers.get("Location", ""):
                r.failure(f"{r.status_code}")
