package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// longReplyTokens is the length of the long reply: a model asked for a
// report or a program writes this much.
const longReplyTokens = 4000

// longMarkdown is a reply of exactly n tokens (see Tokens) written the way
// models write: headings, paragraphs with inline code and emphasis,
// bulleted and numbered lists, fenced code blocks in several languages and
// a table. Its last section may be cut short, as a stopped reply is.
func longMarkdown(n int) []string {
	var b strings.Builder
	b.WriteString("Here is a complete walk-through, step by step.\n\n")
	for i := 1; len(Tokens(b.String())) < n; i++ {
		fmt.Fprintf(&b, "## %d. Part %d: reading the configuration\n\n", i, i)
		fmt.Fprintf(&b, "In this part we load `config-%d.toml`, check every key and keep **only** what is valid. "+
			"An _unknown_ key is an error, not a warning: silently ignoring it hides typos that cost hours later. "+
			"See [the reference](https://example.com/docs/%d) for the full list.\n\n", i, i)
		b.WriteString("Things to check first:\n\n")
		for j := 1; j <= 5; j++ {
			fmt.Fprintf(&b, "- item %d.%d: the value is present, of the right type, and within its range\n", i, j)
		}
		b.WriteString("\nThen, in order:\n\n")
		for j := 1; j <= 4; j++ {
			fmt.Fprintf(&b, "%d. Step %d: open the file, parse it, and report the line of the first error.\n", j, j)
		}
		if i%2 == 1 {
			fmt.Fprintf(&b, "\n```go\nfunc load%d(path string) (*Config, error) {\n\traw, err := os.ReadFile(path)\n\tif err != nil {\n\t\treturn nil, fmt.Errorf(\"reading %%s: %%w\", path, err)\n\t}\n\tvar c Config\n\tif err := toml.Unmarshal(raw, &c); err != nil {\n\t\treturn nil, err\n\t}\n\tfor i, v := range c.Values {\n\t\tif v < 0 || v > %d {\n\t\t\treturn nil, fmt.Errorf(\"value %%d out of range\", i)\n\t\t}\n\t}\n\treturn &c, nil\n}\n```\n\n", i, i*10)
		} else {
			fmt.Fprintf(&b, "\n```python\ndef load_%d(path):\n    \"\"\"Read and check one configuration file.\"\"\"\n    with open(path) as f:\n        data = tomllib.load(f)\n    for key, value in data.items():\n        if key not in KNOWN:\n            raise ValueError(f\"unknown key {key}\")\n    return data\n```\n\n", i)
		}
		b.WriteString("| key | type | default |\n|---|---|---|\n| `name` | string | none |\n| `port` | integer | 8080 |\n| `debug` | boolean | false |\n\n")
		b.WriteString("> Tip: run the check in CI as well, so that a broken file never reaches production.\n\n")
	}
	return Tokens(b.String())[:n]
}

// longReplyFigures is what the browser measured while a long reply
// streamed.
type longReplyFigures struct {
	// Main-thread tasks over 50 ms: their durations as the page's
	// PerformanceObserver saw them (on the clock), and as Chromium's trace
	// measured them on the clock and on the CPU (the machine's other work
	// stretches the first two, not the third).
	LongTasks   []float64 `json:"long_tasks"`
	TraceLong   []Task    `json:"-"`            // over 50 ms on the clock
	TraceCPU    []Task    `json:"-"`            // over 50 ms on the CPU
	Tasks       int       `json:"-"`            // main-thread tasks in the trace
	LongestGap  float64   `json:"longest_gap"`  // longest time between two animation frames, ms
	Frames      int       `json:"frames"`       // animation frames while it streamed
	Renders     int       `json:"renders"`      // times the reply's text changed on the page
	StreamingMs float64   `json:"streaming_ms"` // from the first text to the complete reply
}

// streamLongReply sends a message whose reply is a 4,000-token Markdown
// text streamed at pace per token, and measures the page meanwhile: the
// long tasks a PerformanceObserver reports, the gaps between animation
// frames, and how often the reply's rendering changed.
func streamLongReply(t testing.TB, srv *Server, b *Browser, pace time.Duration) longReplyFigures {
	t.Helper()
	pieces := longMarkdown(longReplyTokens)
	srv.Gate.Script("the long walk-through", pieces, pace)
	b.Exec(`(() => {
		const m = window.__measure = { long_tasks: [], longest_gap: 0, frames: 0, renders: 0, first: 0, last: 0, on: false };
		new PerformanceObserver((list) => {
			if (m.on) for (const e of list.getEntries()) m.long_tasks.push(e.duration);
		}).observe({ type: 'longtask' });
		let prev = 0;
		const tick = (now) => {
			if (m.on) {
				m.frames++;
				if (prev) m.longest_gap = Math.max(m.longest_gap, now - prev);
			}
			prev = now;
			requestAnimationFrame(tick);
		};
		requestAnimationFrame(tick);
		// The reply's rendering: every change of the text under the last
		// assistant message counts once.
		new MutationObserver(() => {
			const last = [...document.querySelectorAll('[data-message-role=assistant]')].at(-1);
			if (!last || last.dataset.status !== 'streaming') return;
			if (!m.on) { m.on = true; m.first = performance.now(); }
			m.renders++;
		}).observe(document.querySelector('[data-messages]'), { childList: true, subtree: true, characterData: true });
	})()`)
	b.Fill("#chat-input", "Please write the long walk-through of loading a configuration file")
	tasks := b.TraceTasks(func() {
		b.Click("[data-send]")
		b.WaitForWithin(time.Duration(len(pieces))*pace+2*time.Minute, "the long reply complete",
			`[...document.querySelectorAll('[data-message-role=assistant]')].at(-1)?.dataset.status === 'complete'`)
	})
	// Whole: every piece arrived and was rendered (the table and code of
	// the last complete section are there).
	if n := Eval[int](b, `[...document.querySelectorAll('[data-message-role=assistant]')].at(-1).querySelectorAll('.code-block').length`); n < 5 {
		t.Fatalf("the long reply shows %d code blocks", n)
	}
	f := Eval[longReplyFigures](b, `(() => {
		const m = window.__measure;
		m.on = false;
		m.streaming_ms = performance.now() - m.first;
		return m;
	})()`)
	f.Tasks = len(tasks)
	for _, task := range tasks {
		if task.WallMs > 50 {
			f.TraceLong = append(f.TraceLong, task)
		}
		if task.CPUMs > 50 {
			f.TraceCPU = append(f.TraceCPU, task)
		}
	}
	return f
}

func (f longReplyFigures) String() string {
	longest := 0.0
	for _, d := range f.LongTasks {
		longest = max(longest, d)
	}
	var wall, cpu float64
	for _, t := range f.TraceLong {
		wall, cpu = max(wall, t.WallMs), max(cpu, t.CPUMs)
	}
	for _, t := range f.TraceCPU {
		cpu = max(cpu, t.CPUMs)
	}
	return fmt.Sprintf("%d tokens streamed in %.0f ms; main-thread tasks over 50 ms: %d seen by the page (longest %.0f ms), "+
		"%d of %d in the trace on the clock (longest %.0f ms) and %d on the CPU (longest task's CPU time %.0f ms); "+
		"%d renders of the reply in %d animation frames, longest gap between frames %.0f ms",
		longReplyTokens, f.StreamingMs, len(f.LongTasks), longest, len(f.TraceLong), f.Tasks, wall, len(f.TraceCPU), cpu,
		f.Renders, f.Frames, f.LongestGap)
}

// chatPage is a demo-mode server and a browser signed in on its chat page.
func chatPage(t testing.TB) (*Server, *Browser) {
	t.Helper()
	srv := StartServer(t, Demo)
	b := NewBrowser(t, srv)
	const email = "long@example.com"
	srv.CreateUser(t, email, "user")
	b.Login(email, Password)
	b.WaitVisible("[data-send]")
	return srv, b
}

// Issue #9: the browser does not redo work per token. A 4,000-token
// Markdown reply streams without a main-thread task over 50 ms (of CPU
// time, from Chromium's trace), and its text is rendered at most once per
// animation frame.
func TestChatLongReplyStaysResponsive(t *testing.T) {
	srv, b := chatPage(t)
	f := streamLongReply(t, srv, b, 2*time.Millisecond)
	t.Logf("long reply: %s", f)
	if f.Renders > f.Frames+1 {
		t.Errorf("the reply was rendered %d times in %d animation frames: more than once per frame", f.Renders, f.Frames)
	}
	// On the CPU: a task's time on the clock also counts the moments the
	// machine ran other programs (a shared CI machine runs many; here tasks
	// of 9–18 ms of CPU were seen taking up to 150 ms on the clock), which
	// says nothing about the page. The clock figures are logged above and
	// printed by `make bench`.
	if len(f.TraceCPU) > 0 {
		t.Errorf("main-thread tasks over 50 ms of CPU while the reply streamed: %+v", f.TraceCPU)
	}
}

// BenchmarkChatLongReplyRender is the figure `make bench` prints: how the
// page copes with a 4,000-token Markdown reply streamed at 2 ms a token
// (faster than the models this appliance runs).
func BenchmarkChatLongReplyRender(b *testing.B) {
	srv, br := chatPage(b)
	b.ResetTimer()
	for range b.N {
		f := streamLongReply(b, srv, br, 2*time.Millisecond)
		fmt.Printf("browser: %s\n", f)
		b.ReportMetric(float64(len(f.TraceCPU)), "tasks>50ms-cpu")
		b.ReportMetric(float64(len(f.TraceLong)), "tasks>50ms-clock")
		b.ReportMetric(f.LongestGap, "ms-longest-frame-gap")
	}
}
