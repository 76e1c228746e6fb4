package console

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/integrator-oss/integrator/internal/store"
)

var funcs = template.FuncMap{
	"ago":      ago,
	"when":     when,
	"dur":      dur,
	"badge":    badge,
	"ns":       func(d time.Duration) string { return dur(d) },
	"join":     strings.Join,
	"contains": func(list []string, s string) bool { return containsStr(list, s) },
	"add":      func(a, b int) int { return a + b },
	"list":     func(v ...string) []string { return v },
	// sched shortens Go durations in a schedule: "every 1h0m0s" → "every 1h".
	"sched": func(s string) string { return strings.NewReplacer("h0m0s", "h", "m0s", "m").Replace(s) },
	"pct": func(n, total int64) string {
		if total == 0 {
			return "0"
		}
		return fmt.Sprintf("%.0f", float64(n)*100/float64(total))
	},
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ago says how long ago t was, in words an operator reads at a glance.
func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < 5*time.Second:
		return "just now"
	case d < time.Minute:
		s = fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		s = fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		s = fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		s = fmt.Sprintf("%dd", int(d.Hours()/24))
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

func dur(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// badge is the CSS class of a status word.
func badge(status string) string {
	switch status {
	case store.RunSucceeded, "enabled", "ok", "active", store.LinkLinked, "created", "reactivated":
		return "badge ok"
	case store.RunFailed, "error", store.LinkConflict, "deactivated", "disabled-source":
		return "badge bad"
	case store.RunHeld, "warn", store.LinkRemoved:
		return "badge warn"
	case store.RunRunning, "info", "api":
		return "badge info"
	}
	return "badge"
}
