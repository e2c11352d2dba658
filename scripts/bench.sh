#!/usr/bin/env bash
# `make bench`: the appliance's speed and memory figures on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  echo "bench: installing wrk (Debian)" >&2
  # shellcheck source=scripts/apt.sh
  . scripts/apt.sh
  { apt_get update -qq && apt_get install -y -qq wrk; } || true
fi
echo "== appliance (binary, start-up, memory, /health, oversized bodies, sign-in burst memory)"
go run ./tools/bench -binary ./aiwfe

echo
echo "== accounts: authenticated GET /api/v1/profile, 64 clients; argon2id login time"
go test ./app/server -run '^$' -bench '^BenchmarkProfileGET$' -benchtime 200000x -count 1 | grep -vE '^(goos|goarch|pkg|cpu|PASS)'

echo
echo "== chat: relaying 2,000 tokens through /ws/chat vs reading the stand-in directly; 100 concurrent chats"
go test ./app/server/bench -run '^$' -bench . -benchtime 1x -count 1 | grep -vE '^(goos|goarch|pkg|cpu|PASS)'

echo
echo "== chat tools: a confirmed create_task over /ws/chat (send → proposal, tool_confirm → tool_result)"
go test ./app/server -run '^$' -bench '^BenchmarkToolConfirmRoundTrip$' -benchtime 100x -count 1 | grep -vE '^(goos|goarch|pkg|cpu|PASS)'


echo
echo "== database: message inserts (one transaction each) with synchronous=FULL (default) and NORMAL"
go test ./store -run '^$' -bench '^BenchmarkMessageInsert$' -benchtime 2s -count 1 | grep -vE '^(goos|goarch|pkg|cpu|PASS)'

echo
echo "== browser: a 4,000-token Markdown reply streamed into the chat page (Chromium; skipped without it)"
go test ./e2e -run '^$' -bench '^BenchmarkChatLongReplyRender$' -benchtime 1x -count 1 | grep -vE '^(goos|goarch|pkg|cpu|PASS)'

echo
echo "== tasks: quick-add parse without a model (target < 1 ms per phrase)"
go test ./app/tasks/quickadd -run '^$' -bench '^BenchmarkParse$' -benchtime 2s -count 1 | grep -vE '^(goos|goarch|pkg|cpu|PASS)'

echo
echo "== documents: search latency at 100k passages (384-dim vectors), SciFact quality and ingestion rate (make eval)"
go test ./app/documents -run '^$' -bench '^Benchmark(SciFact|SearchLatency100k)$' -benchtime 1x -count 1 -timeout 30m | grep -vE '^(goos|goarch|pkg|cpu|PASS)'

echo
echo "== calendar: month view of 500 recurring series begun a year before (expansion on the server; target p95 < 20 ms)"
go test ./app/calendar -run '^$' -bench '^BenchmarkMonthView$' -benchtime 200x -count 1 | grep -vE '^(goos|goarch|pkg|cpu|PASS)'
echo "   ... and as the browser gets it: GET /api/v1/calendar/events (JSON, real server on loopback)"
go test ./app/server -run '^$' -bench '^BenchmarkCalendarMonthViewHTTP$' -benchtime 100x -count 1 | grep -vE '^(goos|goarch|pkg|cpu|PASS)'

echo
echo "== calendar: a CalDAV REPORT (calendar-query over a year) answering 2,000 events, and a first WebDAV sync of them; app-password auth"
go test ./app/server -run '^$' -bench '^BenchmarkCalDAVReport$' -benchtime 20x -count 1 | grep -vE '^(goos|goarch|pkg|cpu|PASS)'

echo
echo "== tasks: list latency over 10,000 tasks with the page's filters, sorts and searches (p50, p95; target p95 < 10 ms)"
go test ./app/tasks -run '^$' -bench '^BenchmarkList10k$' -benchtime 1x -count 1 | grep -vE '^(goos|goarch|pkg|cpu|PASS)'

echo
echo "== research: readability of a 88 KB Debian page; a research turn over cached pages; the semantic fallbacks over 100,000 characters"
go test ./app/research -run '^$' -bench . -benchtime 2s -count 1 | grep -vE '^(goos|goarch|pkg|cpu|PASS)'
go test ./app/semantic -run '^$' -bench . -benchtime 1s -count 1 | grep -vE '^(goos|goarch|pkg|cpu|PASS)'
