package e2e

import (
	"bytes"
	"encoding/json"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
)

// Task is one task of the page's main thread in Chromium's trace.
type Task struct {
	WallMs float64 // from its start to its end
	CPUMs  float64 // on the CPU: less than WallMs when the machine was busy with others
}

// TraceTasks records Chromium's trace while fn runs and returns the tasks
// its renderers' main threads ran meanwhile (the trace's RunTask events).
func (b *Browser) TraceTasks(fn func()) []Task {
	b.T.Helper()
	var mu sync.Mutex
	var events [][]byte
	complete := make(chan struct{})
	var once sync.Once
	if err := chromedp.Listen(b.ctx, func(ev any) {
		switch e := ev.(type) {
		case *tracing.EventDataCollected:
			mu.Lock()
			for _, v := range e.Value {
				events = append(events, bytes.Clone(v))
			}
			mu.Unlock()
		case *tracing.EventTracingComplete:
			once.Do(func() { close(complete) })
		}
	}); err != nil {
		b.T.Fatalf("e2e: trace: %v", err)
	}
	if _, err := chromedp.Call(b.ctx, tracing.Start, tracing.StartParams{
		TransferMode: tracing.StartTransferModeReportEvents,
		TraceConfig:  &tracing.TraceConfig{IncludedCategories: []string{"toplevel", "__metadata"}},
	}); err != nil {
		b.T.Fatalf("e2e: trace: %v", err)
	}
	fn()
	if _, err := chromedp.Call(b.ctx, tracing.End, cdp.Empty{}); err != nil {
		b.T.Fatalf("e2e: trace: %v", err)
	}
	// A long trace takes a while to arrive on a busy machine.
	wait := 3 * b.deadline
	select {
	case <-complete:
	case <-time.After(wait):
		b.T.Fatalf("e2e: trace: not complete after %s", wait)
	}

	type event struct {
		Name string  `json:"name"`
		Ph   string  `json:"ph"`
		Pid  int64   `json:"pid"`
		Tid  int64   `json:"tid"`
		Dur  float64 `json:"dur"`  // µs
		Tdur float64 `json:"tdur"` // µs of thread (CPU) time
		Args struct {
			Name string `json:"name"`
		} `json:"args"`
	}
	type thread struct{ pid, tid int64 }
	main := map[thread]bool{}
	var all []event
	mu.Lock()
	defer mu.Unlock()
	for _, raw := range events {
		var e event
		if json.Unmarshal(raw, &e) != nil {
			continue
		}
		if e.Ph == "M" && e.Name == "thread_name" && e.Args.Name == "CrRendererMain" {
			main[thread{e.Pid, e.Tid}] = true
		}
		all = append(all, e)
	}
	var tasks []Task
	for _, e := range all {
		if e.Ph == "X" && (e.Name == "ThreadControllerImpl::RunTask" || e.Name == "RunTask") && main[thread{e.Pid, e.Tid}] {
			tasks = append(tasks, Task{WallMs: e.Dur / 1000, CPUMs: e.Tdur / 1000})
		}
	}
	return tasks
}
