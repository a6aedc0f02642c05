"""Deterministic generator of realistic team memories, and questions about them.

An engineering organisation that grows while it works: people (about a third
of them Vietnamese, written with diacritics), services, offices and cities,
customers, incidents with ticket numbers, causes and postmortems, deploys
with versions, decisions, meetings, on-call weeks and dates. About 15 % of
the memories are written in Vietnamese.

Memory *i* depends only on (seed, i): the stream is random-access and
prefix-stable, so the first 10,000 memories of a 1M-memory brain are the
10,000 memories of a 10k brain, and questions can be drawn from any
generated memory without replaying the stream. The organisation grows with
*i* (new hires, services, customers, incident numbers), so the vocabulary,
and with it the number of entity/keyword neurons, keeps growing as a real
brain would.

    from dataset import memories, memory, questions
    for m in memories(100_000, seed=7): ...          # {"content", "timestamp"}
    m, facts = memory(123_456)                        # one memory, random access
    qs = questions(n=100_000, per_depth=200)          # [{"query", "depth", "reference_time", ...}]

CLI: `python3 dataset.py 20` prints 20 memories; `python3 dataset.py -q 5 1000`
prints 5 questions per depth about the first 1000 memories.
"""
import random
import sys
from datetime import datetime, timedelta

START = datetime(2025, 1, 6, 8, 0)  # a Monday
PER_DAY = 160                       # memories per day, spread over 08:00-19:00
DAY_MINUTES = 11 * 60

EN_FIRST = ["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory",
            "Niaj", "Olivia", "Peggy", "Rupert", "Sybil", "Trent", "Victor", "Walter", "Yara", "Priya",
            "Kenji", "Sofia", "Lucas", "Amara", "Jonas", "Ingrid", "Mateo", "Chloe", "Omar", "Hannah",
            "Felix", "Nadia", "Oscar", "Leila", "Tomas", "Maya", "Ravi", "Elena", "Samuel"]
EN_LAST = ["Smith", "Johnson", "Garcia", "Miller", "Brown", "Kowalski", "Schmidt", "Tanaka", "Silva",
           "Okafor", "Novak", "Larsen", "Dubois", "Rossi", "Patel", "Cohen", "Murphy", "Fischer", "Khan",
           "Andersen", "Moreau", "Costa", "Weber", "Ivanova", "Lindqvist"]
VI_FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
             "Hồ", "Ngô", "Dương", "Lý"]
VI_MIDDLE = ["Văn", "Thị", "Minh", "Thu", "Hoàng", "Ngọc", "Quốc", "Thanh", "Đức", "Bảo"]
VI_GIVEN = [("Minh", "anh"), ("Lan", "chị"), ("Hoa", "chị"), ("Tuấn", "anh"), ("Hằng", "chị"),
            ("Quang", "anh"), ("Thảo", "chị"), ("Dũng", "anh"), ("Phương", "chị"), ("Khoa", "anh"),
            ("Trang", "chị"), ("Hùng", "anh"), ("Linh", "chị"), ("Nam", "anh"), ("Vy", "em"),
            ("Long", "anh"), ("Huyền", "chị"), ("Đạt", "anh"), ("Ngân", "chị"), ("Sơn", "anh"),
            ("Thư", "em"), ("Bích", "chị"), ("Khánh", "anh"), ("Yến", "chị")]

SERVICE_BASE = ["payments", "auth", "search", "billing", "notifications", "ledger", "gateway", "checkout",
                "inventory", "reporting", "recommendations", "profile", "media", "scheduler", "mailer"]
SERVICE_PREFIX = ["fraud", "pricing", "catalog", "shipping", "refunds", "loyalty", "identity", "audit",
                  "export", "geo", "chat", "invoices", "webhooks", "risk", "ads", "feeds", "sessions",
                  "metering", "quotas", "onboarding"]
SERVICE_SUFFIX = ["api", "worker", "sync", "indexer", "proxy", "store", "scheduler", "gateway"]
CITIES = ["Berlin", "Hanoi", "Saigon", "Da Nang", "London", "Paris", "Singapore", "Tokyo", "Austin",
          "Lisbon", "Amsterdam", "Seoul", "Sydney", "Toronto", "Warsaw", "Bangalore"]
VENUES = ["the war room", "the Lisbon office", "the Berlin office", "Starbucks", "the rooftop bar",
          "the Hanoi office", "conference room Everest", "conference room Fuji", "the client site"]
VI_PLACES = ["Hà Nội", "Đà Nẵng", "TP. Hồ Chí Minh", "Hội An", "Huế", "Cần Thơ", "Nha Trang", "Hải Phòng",
             "quán Highlands", "văn phòng Quận 1", "văn phòng Cầu Giấy", "quán cà phê Cộng"]
THINGS = ["database migration", "rate limiter", "cache cluster", "TLS certificate", "search index", "job queue",
          "feature flag", "load balancer", "API schema", "retry policy", "connection pool", "dashboard",
          "alert rules", "backup job", "Kafka topic", "DNS record", "CI pipeline", "Helm chart",
          "Postgres replica", "Redis cluster", "canary release", "schema registry"]
VI_THINGS = ["cơ sở dữ liệu", "bộ nhớ đệm", "chứng chỉ TLS", "hàng đợi", "bảng điều khiển", "cân bằng tải",
             "quy trình CI", "bản sao lưu"]
CAUSES = ["a missing index", "an expired certificate", "a bad config push", "a memory leak", "a slow query",
          "a full disk", "a DNS outage", "a race in the retry loop", "a noisy neighbour", "clock skew",
          "a schema mismatch", "an exhausted connection pool", "a runaway cron job", "a broken canary"]
VI_CAUSES = ["thiếu chỉ mục", "chứng chỉ hết hạn", "cấu hình sai", "rò rỉ bộ nhớ", "truy vấn chậm",
             "đầy ổ đĩa", "lỗi DNS", "quá tải kết nối"]
CUSTOMER_A = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent",
              "Tyrell", "Wonka", "Cyberdyne", "Gringotts", "Monarch", "Oceanic", "Pied Piper"]
CUSTOMER_B = ["Corp", "Logistics", "Bank", "Retail", "Health", "Media", "Foods", "Airlines", "Energy",
              "Insurance", "Telecom", "Labs"]
VI_CUSTOMERS = ["Vinamilk", "Viettel", "FPT", "Tiki", "Vietcombank", "Thế Giới Di Động", "MoMo", "VNPay"]
DECISIONS = ["move {s} to the new {t}", "freeze deploys of {s} until {inc} is closed",
             "rewrite the {t} of {s} in Go", "add a second {t} for {s}", "retire the old {s} endpoints",
             "put {s} behind the {t}", "split {s} into two services", "page {p} for every {s} alert"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
WHEN_EN = ["yesterday", "this morning", "last week", "today", "2 days ago", "this afternoon", "", "", "", "", ""]
WHEN_VI = ["hôm qua", "sáng nay", "tuần trước", "hôm nay", "chiều nay", "", "", ""]

INCIDENT_SPAN = 25  # consecutive memories share the incident of the moment
VI_SHARE = 0.15


def _people(k):
    """Person number k of the organisation, fixed forever: (display name, language, honorific)."""
    r = random.Random(1_000_003 * 31 + k)
    if k % 3 == 1:  # a third of the team is Vietnamese
        given, hon = VI_GIVEN[(k // 3) % len(VI_GIVEN)] if k < 3 * len(VI_GIVEN) else r.choice(VI_GIVEN)
        fam = r.choice(VI_FAMILY)
        if k < 3 * len(VI_GIVEN):  # early hires go by their given name
            return given, "vi", hon
        return f"{given} {fam}", "vi", hon
    first = EN_FIRST[k % len(EN_FIRST)] if k < 3 * len(EN_FIRST) else r.choice(EN_FIRST)
    if k < len(EN_FIRST):
        return first, "en", ""
    return f"{first} {r.choice(EN_LAST)}", "en", ""


def _service(k):
    if k < len(SERVICE_BASE):
        return SERVICE_BASE[k]
    r = random.Random(2_000_003 * 17 + k)
    return f"{r.choice(SERVICE_PREFIX)}-{r.choice(SERVICE_SUFFIX)}"


def _customer(k):
    if k % 5 == 0:
        return VI_CUSTOMERS[(k // 5) % len(VI_CUSTOMERS)] + ("" if k < 40 else f" {CUSTOMER_B[k % len(CUSTOMER_B)]}")
    r = random.Random(3_000_017 * 13 + k)
    return f"{r.choice(CUSTOMER_A)} {r.choice(CUSTOMER_B)}"


def org_size(i):
    """How big the organisation is when memory i is written."""
    return {"people": 30 + i // 1500, "services": 15 + i // 8000, "customers": 12 + i // 3000}


def timestamp(i, seed=7):
    """When memory i happened: 160 memories a day between 08:00 and 19:00, day after day."""
    r = random.Random(seed * 7_919 + i * 2 + 1)
    slot = DAY_MINUTES * 60 / PER_DAY
    sec = int((i % PER_DAY) * slot + r.random() * slot * 0.9)
    return START + timedelta(days=i // PER_DAY, seconds=sec)


def _incident(i, seed):
    """The incident of the moment for memory i: number, service, cause, Vietnamese cause."""
    block = i // INCIDENT_SPAN
    r = random.Random(seed * 104_729 + block)
    svc = _service(r.randrange(org_size(i)["services"]))
    return {"incident": f"INC-{1000 + block}", "service": svc, "cause_i": r.randrange(len(CAUSES)),
            "vcause_i": r.randrange(len(VI_CAUSES)), "thing": r.choice(THINGS)}


def memory(i, seed=7):
    """Memory number i: ({"content", "timestamp"}, facts). Depends only on (seed, i)."""
    r = random.Random(seed * 1_000_003 + i)
    ts = timestamp(i, seed)
    size = org_size(i)
    inc = _incident(i, seed)
    # people work mostly on "their" services: person k prefers service k mod S
    pk = r.randrange(size["people"])
    qk = r.randrange(size["people"] - 1)
    qk = qk + 1 if qk >= pk else qk
    p, p_lang, p_hon = _people(pk)
    q, _, _ = _people(qk)
    if r.random() < 0.6:
        s = _service(pk % size["services"])
    elif r.random() < 0.5:
        s = inc["service"]
    else:
        s = _service(r.randrange(size["services"]))
    t = r.choice(THINGS)
    v = f"{r.randint(1, 9)}.{r.randint(0, 30)}.{r.randint(0, 9)}"
    cust = _customer(r.randrange(size["customers"]))
    facts = {"i": i, "person": p, "other": q, "service": s, "thing": t, "version": v, "customer": cust,
             "incident": inc["incident"], "incident_service": inc["service"],
             "cause": CAUSES[inc["cause_i"]], "timestamp": ts}
    vi = r.random() < VI_SHARE
    if vi:
        if p_lang != "vi":  # Vietnamese memories are about Vietnamese colleagues
            for _ in range(8):
                k = r.randrange(size["people"])
                if k % 3 == 1:
                    pk = k
                    break
            else:
                pk = 1
            p, p_lang, p_hon = _people(pk)
            facts["person"] = p
        vp = f"{p_hon} {p}"
        pl = r.choice(VI_PLACES)
        when = r.choice(WHEN_VI)
        kind = r.choice(["fix", "meeting", "deploy", "outage", "decision", "oncall", "review", "customer"])
        vt = r.choice(VI_THINGS)
        vc = VI_CAUSES[inc["vcause_i"]]
        text = {
            "fix": f"{vp} sửa lỗi {vt} của dịch vụ {s} {when}",
            "meeting": f"{vp} họp với khách hàng {cust} ở {pl} về dịch vụ {s}",
            "deploy": f"{vp} triển khai phiên bản {v} của {s} {when}",
            "outage": f"Dịch vụ {inc['service']} bị sập vì {vc}, sự cố {inc['incident']}",
            "decision": f"Cả nhóm quyết định chuyển {s} sang {vt} mới sau sự cố {inc['incident']}",
            "oncall": f"{vp} trực dịch vụ {s} tuần này",
            "review": f"{vp} và {q} xem lại kế hoạch {vt} cho {s} ở {pl}",
            "customer": f"Khách hàng {cust} phàn nàn rằng {s} chậm {when}",
        }[kind]
        facts.update(kind=kind, lang="vi", place=pl)
        if kind == "outage":
            facts["service"] = inc["service"]
    else:
        pl = r.choice(CITIES + VENUES)
        when = r.choice(WHEN_EN)
        kind = r.choices(["deploy", "outage", "fix", "pair", "meeting", "review", "decision", "latency",
                          "present", "rollback", "oncall", "postmortem", "customer", "travel", "date"],
                         weights=[10, 6, 10, 6, 8, 8, 6, 5, 4, 4, 6, 4, 6, 3, 4])[0]
        ic, isv = inc["incident"], inc["service"]
        if kind in ("outage", "postmortem"):
            s = isv
        text = {
            "deploy": f"{p} deployed version {v} of the {s} service {when}",
            "outage": f"{ic}: the {s} service had an outage because of {facts['cause']}",
            "fix": f"{p} fixed the {t} in the {s} service {when}",
            "pair": f"{p} and {q} paired on the {t} for {s}",
            "meeting": f"Meeting with {p} and {cust} about the {s} roadmap in {pl}",
            "review": f"{p} reviewed the {t} plan for {s} with {q}",
            "decision": "We decided to " + r.choice(DECISIONS).format(s=s, t=t, inc=ic, p=p),
            "latency": f"{p} said the {s} latency doubled after the {t} change",
            "present": f"{p} presented the {s} metrics to {q} in {pl}",
            "rollback": f"The {t} for {s} was rolled back by {p} during {ic}",
            "oncall": f"{p} is on call for {s} this week",
            "postmortem": f"{p} wrote the postmortem for {ic}: {s} failed because of {facts['cause']}",
            "customer": f"{cust} asked {p} why {s} was slow {when}",
            "travel": f"{p} flew to {pl} to meet {cust} on {WEEKDAYS[r.randrange(5)]}",
            "date": f"{p} set the {s} launch date to {(ts + timedelta(days=r.randint(7, 60))).strftime('%B %d, %Y')}",
        }[kind]
        facts.update(kind=kind, lang="en", place=pl, service=s)
    text = " ".join(text.split())  # an empty "when" leaves no double space
    return {"content": text, "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%S")}, facts


def memories(n, seed=7, start=0):
    """n memories (numbers start .. start+n-1), each {"content", "timestamp"}."""
    for i in range(start, start + n):
        yield memory(i, seed)[0]


def _question(f, depth, r):
    """A question of the given depth about the memory whose facts are f."""
    p, s, t, ic, cust = f["person"], f["service"], f["thing"], f["incident"], f["customer"]
    if f["lang"] == "vi":
        opts = {
            0: [f"{p} họp với khách hàng nào?", f"Ai triển khai {s} phiên bản {f['version']}?",
                f"{p} ở đâu hôm qua?"],
            1: [f"Chuyện gì xảy ra với dịch vụ {s}?", f"Sự cố {ic} là gì?", f"{p} làm gì với {s} hôm qua?"],
            2: [f"{p} thường làm gì?", f"Ai hay trực dịch vụ {s}?", f"Khách hàng {cust} thường phàn nàn gì?"],
            3: [f"Tại sao dịch vụ {f['incident_service']} bị sập trong sự cố {ic}?",
                f"Vì sao {s} chậm và nhóm đã quyết định gì?"],
        }[depth]
    else:
        opts = {
            0: [f"Who deployed {s} {f['version']}?", f"What did {p} do on the {s} service?",
                f"Where did {p} meet {cust}?", f"Who is on call for {s}?"],
            1: [f"What happened to {s} during {ic}?", f"{s} {t}", f"What did {p} and {f['other']} work on?",
                f"Tell me about the {t} for {s}"],
            2: [f"What does {p} usually work on?", f"Who usually fixes the {t} in {s}?",
                f"What does {cust} usually ask about?"],
            3: [f"Why did {f['incident_service']} fail during {ic}?",
                f"What caused {ic} and what did we decide afterwards?",
                f"Why was {s} slow for {cust} and who fixed it?"],
        }[depth]
    return r.choice(opts)


def questions(seed=11, n=1000, per_depth=50, memories_seed=7):
    """per_depth questions for each depth 0-3 about memories drawn from the first n.

    Each question refers to one generated memory (its person, service,
    incident, customer, ...) and carries a reference_time one day after it,
    so temporal words ("yesterday", "hôm qua") point at the right day.
    Order: interleaved by depth (0, 1, 2, 3, 0, 1, ...)."""
    r = random.Random(seed)
    qs = []
    for _ in range(per_depth):
        for depth in range(4):
            i = r.randrange(max(1, n))
            _, f = memory(i, memories_seed)
            qs.append({"query": _question(f, depth, r), "depth": depth, "about": i, "lang": f["lang"],
                       "reference_time": (f["timestamp"] + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")})
    return qs


if __name__ == "__main__":
    a = sys.argv[1:]
    if a and a[0] == "-q":
        for q in questions(per_depth=int(a[1]), n=int(a[2]) if len(a) > 2 else 1000):
            print(q["depth"], q["reference_time"], q["query"])
    else:
        for m in memories(int(a[0]) if a else 20, start=int(a[1]) if len(a) > 1 else 0):
            print(m["timestamp"], m["content"])
