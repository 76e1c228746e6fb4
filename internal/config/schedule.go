package config

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"

	"github.com/integrator-oss/integrator/internal/integration"
)

// MinInterval is the shortest interval a schedule may have. It is low so
// that demos and tests can run often; production schedules are minutes.
const MinInterval = 10 * time.Second

var daysPrefix = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)d(.*)$`)

// ParseDuration parses Go duration syntax ("90s", "1h30m") with "d" for
// 24-hour days in front ("7d", "1d12h").
func ParseDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("invalid duration %q: want a number and a unit (s, m, h, d), like 90s, 15m, 1h30m or 7d", s)
	var days time.Duration
	rest := s
	if m := daysPrefix.FindStringSubmatch(s); m != nil {
		n, err := strconv.ParseFloat(m[1], 64)
		if err != nil || n*24 > float64(math.MaxInt64)/float64(time.Hour) {
			return 0, bad
		}
		days = time.Duration(n * 24 * float64(time.Hour))
		rest = m[2]
		if rest == "" {
			return days, nil
		}
		if rest[0] == '-' || rest[0] == '+' {
			return 0, bad
		}
	}
	d, err := time.ParseDuration(rest)
	if err != nil || rest == "0" && s != "0" {
		return 0, bad
	}
	if days > 0 && d > math.MaxInt64-days {
		return 0, bad
	}
	return days + d, nil
}

// ParseSchedule parses a schedule written as one string: an interval
// ("15m", "1d") or a cron expression ("*/15 * * * *", "@hourly"). A string
// with a space or a leading "@" is taken as cron.
func ParseSchedule(s string) (integration.Schedule, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "@") || strings.ContainsAny(s, " \t") {
		if err := checkCron(s); err != nil {
			if !strings.HasPrefix(s, "@") {
				err = fmt.Errorf("%w (an interval is written without spaces, like 15m)", err)
			}
			return integration.Schedule{}, err
		}
		return integration.Schedule{Cron: s}, nil
	}
	d, err := parseInterval(s)
	if err != nil {
		return integration.Schedule{}, err
	}
	return integration.Schedule{Every: d}, nil
}

func parseInterval(s string) (time.Duration, error) {
	d, err := ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d < MinInterval {
		return 0, fmt.Errorf("interval %s is shorter than the minimum %s", s, MinInterval)
	}
	return d, nil
}

// checkCron validates a standard five-field cron expression or a
// descriptor (@hourly, @daily, @every 1h) the way the scheduler parses it.
func checkCron(expr string) error {
	sched, err := cron.ParseStandard(expr)
	if err != nil {
		return fmt.Errorf("invalid cron expression %q: %w", expr, err)
	}
	if every, ok := sched.(cron.ConstantDelaySchedule); ok && every.Delay < MinInterval {
		return fmt.Errorf("invalid cron expression %q: runs more often than the minimum %s", expr, MinInterval)
	}
	return nil
}

// schedule reads "schedule:" as a string or as {every: D} / {cron: EXPR}.
func (c *collector) schedule(f field, path string) (integration.Schedule, bool) {
	v := resolve(f.value)
	if v.Kind == yaml.ScalarNode {
		s, ok := c.str(f, path)
		if !ok {
			return integration.Schedule{}, false
		}
		sched, err := ParseSchedule(s)
		if err != nil {
			c.add(f.line(), path, "%v", err)
			return integration.Schedule{}, false
		}
		return sched, true
	}
	fields, ok := c.mapping(v, f.line(), path, "every", "cron")
	if !ok {
		return integration.Schedule{}, false
	}
	every, hasEvery := fields["every"]
	expr, hasCron := fields["cron"]
	switch {
	case hasEvery && hasCron:
		c.add(f.line(), path, "set exactly one of every and cron, not both")
		return integration.Schedule{}, false
	case hasEvery:
		s, ok := c.str(every, join(path, "every"))
		if !ok {
			return integration.Schedule{}, false
		}
		d, err := parseInterval(s)
		if err != nil {
			c.add(every.line(), join(path, "every"), "%v", err)
			return integration.Schedule{}, false
		}
		return integration.Schedule{Every: d}, true
	case hasCron:
		s, ok := c.str(expr, join(path, "cron"))
		if !ok {
			return integration.Schedule{}, false
		}
		if err := checkCron(strings.TrimSpace(s)); err != nil {
			c.add(expr.line(), join(path, "cron"), "%v", err)
			return integration.Schedule{}, false
		}
		return integration.Schedule{Cron: strings.TrimSpace(s)}, true
	default:
		c.add(f.line(), path, "set one of every and cron")
		return integration.Schedule{}, false
	}
}

// duration reads a positive duration.
func (c *collector) duration(f field, path string) (time.Duration, bool) {
	s, ok := c.str(f, path)
	if !ok {
		return 0, false
	}
	d, err := ParseDuration(s)
	if err == nil && d <= 0 {
		err = errors.New("must be positive")
	}
	if err != nil {
		c.add(f.line(), path, "%v", err)
		return 0, false
	}
	return d, true
}
