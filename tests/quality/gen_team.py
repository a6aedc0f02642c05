#!/usr/bin/env python3
"""Generate tests/quality/data/team.json: four weeks of a small software
team's memories (some in Vietnamese) and labelled questions.

Memories carry a tag; questions name their answers by tag, and this script
resolves tags to memory indexes and checks the labels (every tag exists and
is used once, every reference_time is after its answers).  Edit the lists
below and re-run:  python3 tests/quality/gen_team.py
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "data", "team.json")

# (tag, timestamp (naive UTC), content).  Sprint 14 runs Mon 2025-03-03 ..
# Fri 2025-03-28 (weeks: 3-7, 10-14, 17-21, 24-28 March).
MEMORIES = [
    # --- week 1 -------------------------------------------------------------
    ("kickoff", "2025-03-03T09:15:00",
     "Sprint 14 kickoff: chị Lan set three goals for the month: ship the new checkout flow, "
     "move the auth service to OAuth 2.1 tokens, and get search p95 latency under 300 ms."),
    ("ledger_plan", "2025-03-03T14:00:00",
     "Anh Minh wrote the migration plan for the payments ledger: add a currency column to "
     "ledger_entries and backfill the 40 million existing rows in batches of 10k."),
    ("vi_standup", "2025-03-04T09:05:00",
     "Standup sáng thứ Ba: chị Lan nhắc cả nhóm hạn chót demo luồng checkout là ngày 14/3. "
     "Em Hoa sẽ viết test end-to-end cho luồng thanh toán."),
    ("alice_auth", "2025-03-04T10:30:00",
     "Alice started the auth service refactor: the home-grown session cookies are being "
     "replaced with short-lived JWT access tokens and rotating refresh tokens."),
    ("pagerduty", "2025-03-05T10:00:00",
     "Bob moved the on-call rotation out of the shared spreadsheet and into PagerDuty. "
     "Rotation is weekly with the handoff on Mondays at 10:00."),
    ("lunch", "2025-03-05T12:30:00",
     "Team lunch at the phở place on Lý Thường Kiệt for Sarah's birthday; chị Lan paid."),
    ("search_slow", "2025-03-05T16:20:00",
     "Tuấn noticed search p95 latency jumped to 850 ms after Elasticsearch was upgraded to "
     "8.12 over the weekend; the upgrade silently turned the shard request cache off."),
    ("vi_minh_sick", "2025-03-06T08:40:00",
     "Anh Minh nghỉ ốm hôm nay, Alice trả lời thay các câu hỏi về payments trong kênh #payments."),
    ("search_fix", "2025-03-06T11:00:00",
     "Tuấn turned the request cache back on and added a tenant_id filter to the product "
     "queries; p95 is back down to 240 ms."),
    ("checkout_ui", "2025-03-06T15:00:00",
     "Sarah finished the first version of the new checkout screen in React. The card form "
     "uses Stripe Elements; the wallet option stays hidden behind a feature flag for now."),
    ("pair_idem", "2025-03-07T10:00:00",
     "Alice and anh Minh paired all morning on idempotency keys for payment requests, so a "
     "retry from the mobile app can never charge a card twice."),
    ("friday_freeze", "2025-03-07T15:30:00",
     "Retro decision: no production deploys on Fridays after 2 pm. Bob will add a CI check "
     "that blocks them."),
    # --- week 2 -------------------------------------------------------------
    ("pay_deploy_fail", "2025-03-10T14:40:00",
     "The payments deploy v2.31 failed and was rolled back after 12 minutes: checkout "
     "requests were timing out while the ledger migration ran."),
    ("pay_deploy_cause", "2025-03-10T17:30:00",
     "Postmortem note: the migration added the currency column with a DEFAULT value, and on "
     "our Postgres 10 that rewrites the whole ledger_entries table under an ACCESS EXCLUSIVE "
     "lock. Anh Minh will split it into add column, backfill, then set default."),
    ("auth_cert", "2025-03-11T08:50:00",
     "Nobody could log in from 07:55 to 08:40 this morning: the TLS certificate on "
     "auth.internal had expired, so every login returned 502. Bob renewed it by hand."),
    ("cert_followup", "2025-03-11T16:00:00",
     "Follow-up to this morning's outage: Bob installed cert-manager to renew certificates "
     "automatically and added an alert 14 days before any certificate expires."),
    ("vi_redeploy", "2025-03-12T10:15:00",
     "Anh Minh deploy lại dịch vụ thanh toán bản v2.32 thành công. Migration được chia làm "
     "ba bước nên không còn khóa bảng, không có lỗi timeout nào."),
    ("customer", "2025-03-12T14:00:00",
     "Chị Lan met the customer Bảo Long Retail. Before going live in April they want "
     "invoices in Vietnamese and customers paying by VietQR."),
    ("vietqr_decision", "2025-03-13T11:30:00",
     "Decision: VietQR goes through the NAPAS gateway instead of a direct integration with "
     "each bank. Anh Minh owns it, target end of March."),
    ("reindex_job", "2025-03-13T15:00:00",
     "Tuấn added a nightly job that rebuilds the product index from Postgres at 02:00 and "
     "keeps debug snapshots of each run in Redis."),
    ("hoa_bugs", "2025-03-13T17:00:00",
     "Em Hoa's end-to-end tests caught two checkout bugs: the coupon field accepted "
     "negative amounts, and the 3-D Secure popup was broken on Safari."),
    ("vi_coupon_fix", "2025-03-14T09:30:00",
     "Em Hoa và anh Minh đã sửa lỗi mã giảm giá nhận số âm: thêm kiểm tra ở cả API lẫn "
     "giao diện."),
    ("safari_fix", "2025-03-14T11:00:00",
     "Sarah fixed the Safari problem by opening the 3-D Secure challenge in an iframe "
     "instead of a new window."),
    ("demo", "2025-03-14T16:00:00",
     "The checkout demo for the leadership team went well. David asked for the wallet "
     "option to be turned on for internal users next week."),
    # --- week 3 -------------------------------------------------------------
    ("redis", "2025-03-17T09:40:00",
     "Notifications stopped going out for about 40 minutes this morning: Redis hit its "
     "maxmemory limit and evicted the job queue keys. Bob raised the limit to 4 GB and "
     "set the eviction policy to noeviction."),
    ("redis_cause", "2025-03-17T15:00:00",
     "Root cause of the Redis memory spike: the debug snapshots from the new nightly "
     "reindex job filled the instance. Tuấn turned the snapshots off."),
    ("wallet_flag", "2025-03-18T11:00:00",
     "Sarah switched on the wallet payment option for internal users with the feature flag "
     "wallet_checkout_internal."),
    ("oauth_done", "2025-03-18T16:30:00",
     "Alice merged the OAuth 2.1 migration of the auth service. Old session cookies keep "
     "working for 30 days through a compatibility shim."),
    ("vi_vietqr_plan", "2025-03-19T10:00:00",
     "Chị Lan họp với anh Minh và Alice về kế hoạch tích hợp VietQR: Alice lo phần xác thực "
     "webhook, anh Minh viết client cho cổng NAPAS."),
    ("fuzzy_search", "2025-03-19T14:00:00",
     "Tuấn added fuzzy matching to search, so a query typed without diacritics such as "
     "'ca phe' still finds 'cà phê' products."),
    ("double_charge", "2025-03-20T10:20:00",
     "Incident: 17 customers were charged twice for wallet payments this morning. The "
     "wallet provider retried its callback and our handler skipped the idempotency check "
     "for callbacks."),
    ("double_fix", "2025-03-20T18:00:00",
     "Anh Minh and Alice shipped the fix: wallet callbacks now go through the same "
     "idempotency check as card payments. Chị Lan's support team refunded the 17 customers."),
    ("one_on_one", "2025-03-21T10:00:00",
     "David's 1:1 with Bob: Bob wants to move from on-call duty toward platform work. "
     "They agreed he will lead the Kubernetes upgrade in April."),
    ("pg_decision", "2025-03-21T14:00:00",
     "Decision: upgrade the main Postgres from 10 to 16 in May. On 11 and later adding a "
     "column with a default is instant, so the ledger lock from the v2.31 rollout cannot "
     "happen again."),
    # --- week 4 -------------------------------------------------------------
    ("k8s", "2025-03-24T10:00:00",
     "Bob upgraded the staging Kubernetes cluster from 1.27 to 1.29; two services that "
     "still used the removed flowcontrol API had to be patched."),
    ("hoa_leave", "2025-03-24T11:30:00",
     "Em Hoa is on leave from March 31 to April 4 for her wedding; Sarah covers QA "
     "sign-off for the release while she is away."),
    ("vi_vietqr_sandbox", "2025-03-25T09:30:00",
     "Anh Minh chạy thử VietQR trên sandbox của NAPAS: thanh toán thành công nhưng "
     "webhook về chậm khoảng 30 giây."),
    ("napas_review", "2025-03-25T15:00:00",
     "Alice reviewed anh Minh's NAPAS client and asked for HMAC-SHA256 request signing "
     "and a timeout on every outgoing call."),
    ("webhook_cause", "2025-03-26T11:00:00",
     "The 30-second delay was on our side: the webhook receiver sat behind the same rate "
     "limiter as the public API. Alice moved it to its own queue and the delay is gone."),
    ("search_empty", "2025-03-26T21:10:00",
     "Search returned no results for 25 minutes tonight. The rebuild ran early after a "
     "cron timezone change and swapped the index alias to a half-built index; Tuấn "
     "pointed the alias back."),
    ("search_guard", "2025-03-27T10:30:00",
     "Tuấn changed the reindex job to compare document counts before swapping the alias, "
     "and pinned its cron schedule to UTC."),
    ("release", "2025-03-27T16:00:00",
     "Release 3.0 is out: new checkout, OAuth 2.1 login, wallet payments for all users, "
     "and VietQR in beta."),
    ("retro", "2025-03-28T15:00:00",
     "Sprint 14 retro: the Friday deploy freeze worked; the team wants staging to get "
     "production-sized data so migrations are tested for real; everyone thanked anh Minh "
     "for the VietQR work."),
    ("vi_customer_mail", "2025-03-28T16:30:00",
     "Chị Lan gửi email cho Bảo Long Retail: hóa đơn tiếng Việt đã xong, VietQR sẽ chính "
     "thức chạy từ ngày 7/4."),
]

END = "2025-03-31T09:00:00"   # Monday after the sprint

# (question, reference_time or None (= END), [answer tags], kind, depth)
QUESTIONS = [
    # factual
    ("Who owns the VietQR integration?", None, ["vietqr_decision"], "factual", None),
    ("Who moved our on-call schedule to PagerDuty?", None, ["pagerduty"], "factual", None),
    ("How do our TLS certificates get renewed now?", None, ["cert_followup"], "factual", None),
    ("When is Hoa away for her wedding?", None, ["hoa_leave"], "factual", None),
    ("What did Bảo Long Retail ask for before going live?", None, ["customer"], "factual", None),
    ("Are we allowed to deploy on a Friday afternoon?", None, ["friday_freeze"], "factual", None),
    ("Which library does the checkout card form use?", None, ["checkout_ui"], "factual", None),
    ("Khi nào VietQR chạy chính thức cho khách hàng Bảo Long?", None, ["vi_customer_mail"],
     "factual", None),
    ("Which Kubernetes version is staging running?", None, ["k8s"], "factual", None),
    ("Who covered payments questions while Minh was sick?", None, ["vi_minh_sick"], "factual", None),
    ("What's in release 3.0?", None, ["release"], "factual", None),
    # temporal
    ("What broke last week?", "2025-03-19T09:00:00", ["pay_deploy_fail", "auth_cert"],
     "temporal", None),
    ("What happened on Monday?", "2025-03-18T09:00:00", ["redis", "redis_cause"], "temporal", None),
    ("What did we ship yesterday?", "2025-03-28T09:30:00", ["release"], "temporal", None),
    ("Which incidents did we have this week?", "2025-03-21T17:00:00",
     ["redis", "double_charge"], "temporal", None),
    ("What did Tuấn work on in the first week of the sprint?", None,
     ["search_slow", "search_fix"], "temporal", None),
    ("Hôm qua có sự cố gì?", "2025-03-27T09:00:00", ["search_empty"], "temporal", None),
    ("What happened with the payments service two weeks ago?", "2025-03-24T09:00:00",
     ["pay_deploy_fail", "pay_deploy_cause", "vi_redeploy"], "temporal", None),
    ("What did Alice do yesterday?", "2025-03-19T09:00:00", ["oauth_done"], "temporal", None),
    # causal
    ("Why did the payments deploy fail?", None, ["pay_deploy_fail", "pay_deploy_cause"],
     "causal", None),
    ("Why couldn't anyone log in on the 11th?", None, ["auth_cert"], "causal", None),
    ("What caused notifications to stop sending?", None, ["redis", "redis_cause"], "causal", None),
    ("Why were some customers charged twice?", None, ["double_charge", "double_fix"],
     "causal", None),
    ("Why did search get slow after the Elasticsearch upgrade?", None,
     ["search_slow", "search_fix"], "causal", None),
    ("Why were the VietQR webhooks arriving late?", None,
     ["vi_vietqr_sandbox", "webhook_cause"], "causal", None),
    ("Why did search show nothing on Wednesday night?", None, ["search_empty"], "causal", None),
    ("Why are we upgrading Postgres?", None, ["pg_decision"], "causal", None),
    # multi-entity
    ("What did Alice and Minh work on together?", None,
     ["pair_idem", "double_fix", "vi_vietqr_plan", "napas_review"], "multi-entity", None),
    ("How did Hoa and Sarah get the checkout bugs fixed?", None,
     ["hoa_bugs", "safari_fix", "vi_coupon_fix"], "multi-entity", None),
    ("What did Bob and David agree on?", None, ["one_on_one"], "multi-entity", None),
    ("Which of Tuấn's changes caused trouble for Bob?", None,
     ["reindex_job", "redis", "redis_cause"], "multi-entity", None),
    ("What has chị Lan discussed with Bảo Long Retail?", None,
     ["customer", "vi_customer_mail"], "multi-entity", None),
]


def build():
    tags = {}
    mems = []
    for i, (tag, ts, content) in enumerate(MEMORIES):
        if tag in tags:
            sys.exit(f"duplicate tag {tag}")
        tags[tag] = i
        if mems and ts < mems[-1]["timestamp"]:
            sys.exit(f"memory {tag} is out of time order")
        mems.append({"content": content, "timestamp": ts})
    used = set()
    qs = []
    for q, ref, ans, kind, depth in QUESTIONS:
        ref = ref or END
        idx = []
        for t in ans:
            if t not in tags:
                sys.exit(f"question {q!r}: unknown tag {t}")
            if mems[tags[t]]["timestamp"] >= ref:
                sys.exit(f"question {q!r}: answer {t} is not before reference_time")
            idx.append(tags[t])
            used.add(t)
        qs.append({"question": q, "reference_time": ref, "answers": sorted(idx),
                   "kind": kind, "depth": depth})
    return {"name": "team", "memories": mems, "questions": qs}, set(tags) - used


def dump(corpus, path):
    """One memory / question per line: readable diffs, valid JSON."""
    lines = ["{", f' "name": {json.dumps(corpus["name"])},', ' "memories": [']
    for i, m in enumerate(corpus["memories"]):
        comma = "," if i + 1 < len(corpus["memories"]) else ""
        lines.append("  " + json.dumps(m, ensure_ascii=False) + comma)
    lines.append(" ],")
    lines.append(' "questions": [')
    for i, q in enumerate(corpus["questions"]):
        comma = "," if i + 1 < len(corpus["questions"]) else ""
        lines.append("  " + json.dumps(q, ensure_ascii=False) + comma)
    lines.append(" ]")
    lines.append("}")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    json.loads(open(path, encoding="utf-8").read())   # round-trip check


if __name__ == "__main__":
    corpus, unused = build()
    dump(corpus, OUT)
    kinds = {}
    for q in corpus["questions"]:
        kinds[q["kind"]] = kinds.get(q["kind"], 0) + 1
    print(f"{OUT}: {len(corpus['memories'])} memories, {len(corpus['questions'])} questions {kinds}")
    if unused:
        print(f"memories not used as answers (distractors): {len(unused)}")
