"""Deterministic generator of realistic team memories (and questions).

A small engineering organisation over a year: people (some Vietnamese),
services, places, incidents, decisions, meetings and deploys, with dates;
about one memory in eight is written in Vietnamese. The same seed always
gives the same memories, so benchmark runs are comparable.

    from dataset import memories, questions
    for m in memories(100_000, seed=7): ...   # {"content", "timestamp"}
"""
import random
from datetime import datetime, timedelta

PEOPLE = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory",
          "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter", "Yara",
          "Minh", "Lan", "Hoa", "Tuấn", "Hằng", "Quang", "Thảo", "Dũng"]
VI_PEOPLE = ["anh Minh", "chị Lan", "em Hoa", "anh Tuấn", "chị Hằng", "anh Quang", "chị Thảo", "anh Dũng"]
SERVICES = ["payments", "auth", "search", "billing", "notifications", "ledger", "gateway", "checkout",
            "inventory", "reporting", "recommendations", "profile", "media", "scheduler", "mailer"]
PLACES = ["Berlin", "Hanoi", "Saigon", "Da Nang", "London", "Paris", "Singapore", "Tokyo", "Austin",
          "the Lisbon office", "Starbucks", "the war room"]
VI_PLACES = ["Hà Nội", "Đà Nẵng", "quán Highlands", "văn phòng Quận 1", "Hội An"]
THINGS = ["database migration", "rate limiter", "cache cluster", "TLS certificate", "index", "queue",
          "feature flag", "load balancer", "API schema", "retry policy", "connection pool", "dashboard"]
CAUSES = ["a missing index", "an expired certificate", "a bad config push", "a memory leak",
          "a slow query", "a full disk", "a DNS outage", "a race in the retry loop"]

EN_TEMPLATES = [
    "{p} deployed version {v} of the {s} service",
    "The {s} service had an outage because of {c}",
    "{p} fixed the {t} in the {s} service",
    "{p} and {q} paired on the {t} for {s}",
    "Meeting with {p} about the {s} roadmap in {pl}",
    "{p} reviewed the {t} plan for {s}",
    "We decided to move {s} to the new {t}",
    "{p} said the {s} latency doubled after the {t} change",
    "{p} presented the {s} metrics to {q} in {pl}",
    "The {t} for {s} was rolled back by {p}",
    "{p} is on call for {s} this week",
    "{p} wrote the postmortem for the {s} incident caused by {c}",
]
VI_TEMPLATES = [
    "{vp} sửa lỗi {s} hôm qua",
    "{vp} họp với khách hàng ở {vpl} về dịch vụ {s}",
    "Dịch vụ {s} bị sập vì {c}",
    "{vp} triển khai phiên bản {v} của {s} sáng nay",
]


def memories(n, seed=7, start=datetime(2025, 1, 6, 9, 0)):
    """n memories, each {"content", "timestamp"}, about 5 minutes apart."""
    rnd = random.Random(seed)
    t = start
    for i in range(n):
        t += timedelta(seconds=rnd.randint(60, 540))
        if rnd.random() < 0.125:
            text = rnd.choice(VI_TEMPLATES).format(vp=rnd.choice(VI_PEOPLE), vpl=rnd.choice(VI_PLACES),
                                                    s=rnd.choice(SERVICES), c=rnd.choice(CAUSES),
                                                    v=f"{rnd.randint(1, 9)}.{rnd.randint(0, 20)}")
        else:
            p, q = rnd.sample(PEOPLE, 2)
            text = rnd.choice(EN_TEMPLATES).format(p=p, q=q, s=rnd.choice(SERVICES), t=rnd.choice(THINGS),
                                                   c=rnd.choice(CAUSES), pl=rnd.choice(PLACES),
                                                   v=f"{rnd.randint(1, 9)}.{rnd.randint(0, 20)}")
        yield {"content": f"{text} (#{i})", "timestamp": t.strftime("%Y-%m-%dT%H:%M:%S")}


def questions(seed=11):
    """Questions of every depth (0–3) about the generated organisation."""
    rnd = random.Random(seed)
    qs = []
    for _ in range(50):
        p, s, t = rnd.choice(PEOPLE), rnd.choice(SERVICES), rnd.choice(THINGS)
        qs += [
            {"query": f"What did {p} do on the {s} service?", "depth": 0},
            {"query": f"{s} {t}", "depth": 1},
            {"query": f"What does {p} usually work on?", "depth": 2},
            {"query": f"Why did the {s} service fail?", "depth": 3},
        ]
    return qs
