package opportunities

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aiwfe/aiwfe/app/tasks/quickadd"
	"github.com/aiwfe/aiwfe/app/textutil"
)

// proposal is a task proposed from one sentence, before it is saved.
type proposal struct {
	Title, Notes, Due, Priority, Category string
	Evidence                              string
	MessageID                             int64 // conversations
	Page                                  int   // documents, from 1
}

// triggers introduce something to do; what follows is the task. Longer
// ones first, so "i need to" wins over "need to".
var triggers = []string{
	"don't forget to ", "do not forget to ", "dont forget to ", "remember to ", "remind me to ", "make sure to ",
	"make sure i ", "i need to ", "i have to ", "i've got to ", "i have got to ", "i gotta ", "i must ",
	"i should ", "i'll ", "i will ", "we need to ", "we have to ", "we must ", "we should ",
	"need to ", "have to ", "todo: ", "todo ", "to do: ", "to-do: ", "action item: ", "action: ", "task: ",
}

// errands are verbs that, opening a sentence, make it an instruction to
// oneself ("Call the plumber about the leak."). Verbs people use to ask the
// assistant for something (write, explain, summarise) are left out.
var errands = map[string]bool{
	"call": true, "phone": true, "ring": true, "email": true, "text": true, "buy": true, "pay": true, "book": true,
	"schedule": true, "renew": true, "submit": true, "order": true, "file": true, "cancel": true, "contact": true,
	"return": true, "visit": true, "clean": true, "repair": true, "water": true, "pick": true, "collect": true,
	"post": true, "mail": true, "sign": true, "register": true, "apply": true, "send": true, "follow": true,
	"invoice": true, "backup": true, "print": true, "deliver": true, "ship": true, "feed": true, "walk": true,
}

// notErrands are an errand verb's idioms ("pay attention") and the words
// after it that make it a request to the assistant ("send me", "email this").
var notErrands = map[string]bool{"me": true, "attention": true, "this": true, "that": true, "it": true,
	"the following": true, "out": true}

// notTasks open what follows a trigger without making it something to do:
// "I need to know ...", "I will never ...".
var notTasks = map[string]bool{"know": true, "understand": true, "be": true, "feel": true, "say": true,
	"admit": true, "see": true, "wonder": true, "think": true, "never": true, "not": true, "always": true,
	"ever": true, "go": true, "get": true, "have": true, "ask": true, "tell": true}

// hedges are dropped from a task's start: "I should probably book ...".
var hedges = map[string]bool{"probably": true, "really": true, "definitely": true, "also": true, "still": true,
	"just": true, "maybe": true, "finally": true, "quickly": true, "actually": true, "somehow": true, "first": true}

// clauseEnds cut a task out of a longer clause.
var clauseEnds = []string{" because ", " since ", " so that ", " so i ", " so we ", " but ", ", ", "; ", " - ",
	" — ", " – ", " or else ", " otherwise ", " which ", " before it ", " as it "}

// clauseBreaks split a sentence into clauses that may each hold a task:
// "I have to finish the report and I should book the dentist".
var clauseBreaks = []string{" and i ", " and we ", ", and ", "; ", " then ", ", then "}

// ruleProposals reads sentences for things to do: triggers ("I need to",
// "remember to", "todo:"), unticked checkboxes and errand verbs opening an
// instruction. Dates in the task go through quick add's rules, so "I need
// to renew my passport by friday" is due on Friday.
func ruleProposals(text string, now time.Time, loc *time.Location) []proposal {
	var out []proposal
	for _, sent := range sentences(text) {
		if strings.HasSuffix(sent, "?") {
			continue // a question asks; it does not commit
		}
		for _, clause := range clauses(sent) {
			task, ok := taskIn(clause)
			if !ok {
				continue
			}
			r := quickadd.Parse(task, now, loc)
			title := cleanTitle(r.Title)
			if utf8.RuneCountInString(title) < 3 || utf8.RuneCountInString(title) > MaxTitleChars {
				continue
			}
			out = append(out, proposal{Title: title, Due: r.Due, Priority: r.Priority, Category: r.Category,
				Evidence: sent})
		}
	}
	return out
}

// clauses splits a sentence at clauseBreaks.
func clauses(sent string) []string {
	var out []string
	for rest := sent; ; {
		lower := strings.ToLower(rest)
		at, brk := -1, ""
		for _, b := range clauseBreaks {
			if i := strings.Index(lower, b); i >= 0 && (at < 0 || i < at) {
				at, brk = i, b
			}
		}
		if at < 0 {
			return append(out, rest)
		}
		out = append(out, rest[:at])
		rest = rest[at+len(brk):]
		// The break took the next clause's subject: give it back, for
		// its trigger ("and I should book ...").
		switch brk {
		case " and i ":
			rest = "I " + rest
		case " and we ":
			rest = "we " + rest
		}
	}
}

// taskIn finds the task in one clause.
func taskIn(clause string) (string, bool) {
	s := strings.TrimSpace(clause)
	for _, b := range []string{"- [ ] ", "* [ ] ", "[ ] ", "☐ "} {
		if rest, ok := strings.CutPrefix(s, b); ok {
			return cut(rest), true
		}
	}
	s = strings.TrimLeft(s, "-*•> \t")
	lower := strings.ToLower(s)
	for _, t := range triggers {
		i := wordIndex(lower, t)
		if i < 0 {
			continue
		}
		rest := dropHedges(s[i+len(t):])
		first, _, _ := strings.Cut(strings.ToLower(rest), " ")
		if strings.TrimSpace(rest) == "" || notTasks[first] {
			return "", false
		}
		return cut(rest), true
	}
	first, after, _ := strings.Cut(lower, " ")
	next, _, _ := strings.Cut(after, " ")
	if errands[strings.Trim(first, ",.:;!")] && after != "" && !notErrands[next] &&
		!strings.HasPrefix(after, "the following") {
		return cut(s), true
	}
	return "", false
}

// dropHedges drops the hedging words a task starts with.
func dropHedges(s string) string {
	for {
		s = strings.TrimSpace(s)
		first, rest, ok := strings.Cut(s, " ")
		if !ok || !hedges[strings.ToLower(first)] {
			return s
		}
		s = rest
	}
}

// wordIndex is the index of t in s where it starts a word, or -1.
func wordIndex(s, t string) int {
	from := 0
	for {
		i := strings.Index(s[from:], t)
		if i < 0 {
			return -1
		}
		i += from
		if i == 0 || !isWordRune(s[i-1]) {
			return i
		}
		from = i + 1
	}
}

func isWordRune(b byte) bool { return b == '\'' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' }

// cut ends the task at the first clause that explains rather than says
// what to do.
func cut(s string) string {
	lower := strings.ToLower(s)
	end := len(s)
	for _, c := range clauseEnds {
		if i := strings.Index(lower, c); i >= 0 && i < end {
			end = i
		}
	}
	return strings.TrimSpace(s[:end])
}

// cleanTitle capitalises the title and drops the sentence's end.
func cleanTitle(s string) string {
	s = strings.Join(strings.Fields(s), " ") // one line, single spaces
	s = strings.TrimSpace(strings.TrimRight(s, ".!,;:"))
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// sentences splits text into sentences: at line ends, and after . ! ? that
// are followed by a space.
func sentences(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		start := 0
		for i := 0; i < len(line); i++ {
			c := line[i]
			if (c == '.' || c == '!' || c == '?') && (i+1 == len(line) || line[i+1] == ' ') {
				if s := strings.TrimSpace(line[start : i+1]); s != "" {
					out = append(out, s)
				}
				start = i + 1
			}
		}
		if s := strings.TrimSpace(line[start:]); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// eventProposal is the preparation task for a calendar event: due the day
// before it starts, in the user's zone (or on the day, for an event
// starting within a day).
func eventProposal(ev Event, now time.Time, loc *time.Location) (proposal, bool) {
	title := strings.TrimSpace(ev.Title)
	if title == "" || !ev.Start.After(now) {
		return proposal{}, false
	}
	start := ev.Start.In(loc)
	due := time.Date(start.Year(), start.Month(), start.Day()-1, 0, 0, 0, 0, loc)
	if !due.After(now.In(loc)) {
		due = time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, loc)
	}
	return proposal{Title: textutil.Ellipsize(cleanTitle("Prepare for "+title), MaxTitleChars-1), Due: due.Format("2006-01-02"), Priority: "none",
		Evidence: title + " — " + start.Format("Mon 2 Jan 2006 15:04")}, true
}
